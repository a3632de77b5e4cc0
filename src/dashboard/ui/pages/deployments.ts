import { useState } from 'preact/hooks';
import { ApiError, getJson, sendJson } from '../api.js';
import { fmtTime, html, useLoad } from '../html.js';
import { type Against, DeploymentDiff } from './deployment-diff.js';

// Deployments (src/deployments/admin-routes.ts): GET /deployments lists the stages and the history,
// GET /deployments/{id} one deployment's redacted config, GET /deployments/{id}/diff its diff against
// the serving deployment (against the previous one for the serving row), POST /deployments/{id}/rollback,
// and the per-stage canary routes. On a gateway without the feature GET /deployments is a 404 and this page says so.

const stagePath = (api: string, stage: string) => `/stages/${encodeURIComponent(api)}/${encodeURIComponent(stage)}`;

export const DEPLOYMENT_ENDPOINTS = {
  list: '/deployments',
  one: (id: string) => `/deployments/${encodeURIComponent(id)}`,
  rollback: (id: string) => `/deployments/${encodeURIComponent(id)}/rollback`,
  promote: (api: string, stage: string) => `${stagePath(api, stage)}/canary/promote`,
  dropCanary: (api: string, stage: string) => `${stagePath(api, stage)}/canary`,
};

interface Deployment {
  id: number;
  createdAt: string;
  description: string;
  hash: string;
}
interface Stage {
  api: string;
  stage: string;
  deploymentId: number | null;
  canarySettings?: { deploymentId: number; percentTraffic: number };
}
interface Listing {
  deploymentId: number | null;
  stages: Stage[];
  deployments: Deployment[];
}

type State = { available: false } | ({ available: true } & Listing);

async function load(): Promise<State> {
  try {
    return { available: true, ...(await getJson<Listing>(DEPLOYMENT_ENDPOINTS.list)) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { available: false };
    throw err;
  }
}

function Config({ id }: { id: string }) {
  const d = useLoad(() => getJson<{ config: unknown }>(DEPLOYMENT_ENDPOINTS.one(id)));
  if (d.error) return html`<p class="error">${d.error}</p>`;
  if (d.data === undefined) return html`<p class="muted">Loading the config…</p>`;
  return html`<pre class="mono diff" id="deployment-config">${JSON.stringify(d.data.config, null, 2)}</pre>`;
}

export function DeploymentsPage() {
  const d = useLoad(load, 5000);
  const [configOf, setConfigOf] = useState<string | undefined>(undefined);
  const [diffOf, setDiffOf] = useState<{ id: string; against: Against } | undefined>(undefined);
  const showDiff = (id: string, against: Against) =>
    setDiffOf(diffOf?.id === id && diffOf.against === against ? undefined : { id, against });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const act = async (method: string, path: string, what: string) => {
    try {
      await sendJson(method, path);
      setMessage({ ok: true, text: what });
      // What the shown diff was against may have changed.
      setDiffOf(undefined);
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
    d.reload();
  };
  if (d.error) return html`<p class="error">${d.error}</p>`;
  if (!d.data) return html`<p class="muted">Loading…</p>`;
  if (!d.data.available)
    return html`<h2>Deployments</h2>
      <section class="card">
        <p id="deployments-unavailable">Deployments are not available on this gateway.</p>
        <p class="muted">
          Its admin API has no <code>GET /deployments</code>: the config changes by editing the file and reloading.
        </p>
      </section>`;
  const { deployments, stages } = d.data;
  const canaries = stages.filter((s) => s.canarySettings);
  const servedBy = (x: Deployment) => stages.filter((s) => s.deploymentId === x.id).map((s) => `${s.api}/${s.stage}`);
  return html`<h2>Deployments</h2>
    ${message && html`<p class=${message.ok ? 'ok' : 'error'} id="deployment-message">${message.text}</p>`}
    ${
      canaries.length > 0 &&
      html`<section class="card">
        <h3>Canaries</h3>
        <table id="canaries">
          <thead>
            <tr>
              <th>Stage</th>
              <th>Deployment</th>
              <th>Traffic</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            ${canaries.map(
              (c) =>
                html`<tr>
                  <td>${c.api}/${c.stage}</td>
                  <td class="mono">${c.canarySettings?.deploymentId}</td>
                  <td>${c.canarySettings?.percentTraffic} %</td>
                  <td class="actions">
                    <button class="diff" onClick=${() => showDiff(String(c.canarySettings?.deploymentId), 'serving')}>
                      Diff
                    </button>
                    <button
                      class="promote"
                      onClick=${() =>
                        confirm(`Promote the canary of ${c.api}/${c.stage}? Its deployment will serve every stage.`) &&
                        act(
                          'POST',
                          DEPLOYMENT_ENDPOINTS.promote(c.api, c.stage),
                          `canary of ${c.api}/${c.stage} promoted`,
                        )}
                    >
                      Promote
                    </button>
                    <button
                      class="drop"
                      onClick=${() =>
                        confirm(`Remove the canary of ${c.api}/${c.stage}?`) &&
                        act(
                          'DELETE',
                          DEPLOYMENT_ENDPOINTS.dropCanary(c.api, c.stage),
                          `canary of ${c.api}/${c.stage} removed`,
                        )}
                    >
                      Remove
                    </button>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>`
    }
    <section class="card">
      <table id="deployments">
        <thead>
          <tr>
            <th>Id</th>
            <th>Time</th>
            <th>Description</th>
            <th>Hash</th>
            <th>Serving</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          ${deployments.map((x) => {
            const id = String(x.id);
            const serving = servedBy(x);
            return html`<tr data-deployment=${id}>
              <td class="mono">${id} ${serving.length > 0 && html`<span class="badge ok">current</span>`}</td>
              <td>${fmtTime(x.createdAt)}</td>
              <td>${x.description}</td>
              <td class="mono">${x.hash.slice(0, 12)}</td>
              <td class="stages">${serving.join(', ')}</td>
              <td class="actions">
                <button class="config" onClick=${() => setConfigOf(configOf === id ? undefined : id)}>Config</button>
                <button
                  class="diff"
                  title=${serving.length > 0 ? 'what this deployment changed' : 'what rolling back to it would change'}
                  onClick=${() => showDiff(id, serving.length > 0 ? 'previous' : 'serving')}
                >
                  Diff
                </button>
                ${
                  serving.length === 0 &&
                  html`<button
                    class="rollback"
                    onClick=${() => confirm(`Roll back to deployment ${id}?`) && act('POST', DEPLOYMENT_ENDPOINTS.rollback(id), `rolled back to ${id}`)}
                  >
                    Roll back to this
                  </button>`
                }
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      ${diffOf && html`<${DeploymentDiff} key=${`${diffOf.id}-${diffOf.against}`} id=${diffOf.id} against=${diffOf.against} />`}
      ${
        configOf &&
        html`<h3>Config of deployment ${configOf} (secrets redacted)</h3>
          <${Config} id=${configOf} />`
      }
    </section>`;
}
