import { useState } from 'preact/hooks';
import { ApiError, getJson, sendJson } from '../api.js';
import { fmtTime, html, useLoad } from '../html.js';

// Deployments (issue #21) come from another branch: GET /deployments, POST /deployments/{id}/rollback
// and per-stage canaries. On a gateway without them GET /deployments is a 404 and this page says so.

export const DEPLOYMENT_ENDPOINTS = {
  list: '/deployments',
  rollback: (id: string) => `/deployments/${encodeURIComponent(id)}/rollback`,
  diff: (id: string) => `/deployments/${encodeURIComponent(id)}/diff`,
  promote: (api: string, stage: string) =>
    `/stages/${encodeURIComponent(api)}/${encodeURIComponent(stage)}/canary/promote`,
  dropCanary: (api: string, stage: string) => `/stages/${encodeURIComponent(api)}/${encodeURIComponent(stage)}/canary`,
};

interface Deployment {
  id: string | number;
  createdAt?: string;
  at?: string;
  time?: string;
  description?: string;
  hash?: string;
  current?: boolean;
  active?: boolean;
}
interface Canary {
  api: string;
  stage: string;
  deploymentId?: string | number;
  percent?: number;
  percentTraffic?: number;
}
interface Listing {
  items?: Deployment[];
  deployments?: Deployment[];
  current?: string | number;
  canaries?: Canary[];
}

type State = { available: false } | { available: true; items: Deployment[]; current?: string; canaries: Canary[] };

async function load(): Promise<State> {
  try {
    const body = await getJson<Listing | Deployment[]>(DEPLOYMENT_ENDPOINTS.list);
    const list = Array.isArray(body) ? body : (body.items ?? body.deployments ?? []);
    const current = Array.isArray(body) ? undefined : body.current;
    return {
      available: true,
      items: list,
      canaries: Array.isArray(body) ? [] : (body.canaries ?? []),
      ...(current !== undefined ? { current: String(current) } : {}),
    };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { available: false };
    throw err;
  }
}

function Diff({ id }: { id: string }) {
  const diff = useLoad(() => getJson<unknown>(DEPLOYMENT_ENDPOINTS.diff(id)));
  if (diff.error) return html`<p class="error">${diff.error}</p>`;
  if (diff.data === undefined) return html`<p class="muted">Loading the diff…</p>`;
  const text = typeof diff.data === 'string' ? diff.data : JSON.stringify(diff.data, null, 2);
  return html`<pre class="mono diff">${text}</pre>`;
}

export function DeploymentsPage() {
  const d = useLoad(load, 5000);
  const [diffOf, setDiffOf] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const act = async (method: string, path: string, what: string) => {
    try {
      await sendJson(method, path);
      setMessage({ ok: true, text: what });
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
  const { items, current, canaries } = d.data;
  const isCurrent = (x: Deployment) => x.current || x.active || (current !== undefined && String(x.id) === current);
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
                  <td class="mono">${c.deploymentId ?? '—'}</td>
                  <td>${c.percent ?? c.percentTraffic ?? '—'} %</td>
                  <td class="actions">
                    <button
                      class="promote"
                      onClick=${() => act('POST', DEPLOYMENT_ENDPOINTS.promote(c.api, c.stage), `canary of ${c.api}/${c.stage} promoted`)}
                    >
                      Promote
                    </button>
                    <button
                      class="drop"
                      onClick=${() => act('DELETE', DEPLOYMENT_ENDPOINTS.dropCanary(c.api, c.stage), `canary of ${c.api}/${c.stage} rolled back`)}
                    >
                      Roll back
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
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          ${items.map((x) => {
            const id = String(x.id);
            return html`<tr data-deployment=${id}>
              <td class="mono">${id} ${isCurrent(x) && html`<span class="badge ok">current</span>`}</td>
              <td>${fmtTime(x.createdAt ?? x.at ?? x.time)}</td>
              <td>${x.description ?? ''}</td>
              <td class="mono">${(x.hash ?? '').slice(0, 12)}</td>
              <td class="actions">
                <button class="diff" onClick=${() => setDiffOf(diffOf === id ? undefined : id)}>Diff</button>
                ${
                  !isCurrent(x) &&
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
      ${
        diffOf &&
        html`<h3>Diff of deployment ${diffOf} against the running config</h3>
          <${Diff} id=${diffOf} />`
      }
    </section>`;
}
