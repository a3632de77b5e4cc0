import { useState } from 'preact/hooks';
import { getJson, sendJson } from '../api.js';
import { fmtTime, html, useLoad } from '../html.js';

interface Issue {
  path?: (string | number)[];
  message: string;
  line?: number;
  column?: number;
}
interface ReloadError {
  at: string;
  reason: string;
  error: string;
  issues?: Issue[];
}
export interface Status {
  revision: number;
  config: string;
  loadedAt: string;
  startedAt: string;
  pid: number;
  url: string;
  apis: { name: string; type: string; stages: string[]; routes: number }[];
  inflight: number;
  draining: boolean;
  lastReload: { at: string; reason: string; ok: boolean; error?: string } | null;
  lastReloadError?: ReloadError | null;
  store: Record<string, unknown> | null;
}
interface ReloadResult {
  ok: boolean;
  changed: boolean;
  revision: number;
  error?: string;
}

function ReloadErrorView({ e }: { e: ReloadError }) {
  return html`<div id="reload-error">
    <p class="error">Rejected at ${fmtTime(e.at)} (${e.reason}); the previous config kept serving.</p>
    <pre class="issues mono">${e.error}</pre>
  </div>`;
}

export function StatusPage() {
  const status = useLoad(() => getJson<Status>('/status'), 5000);
  const cluster = useLoad(() => getJson<{ worker: boolean; pid: number }>('/cluster').catch(() => undefined));
  const [reload, setReload] = useState<string | undefined>(undefined);
  const doReload = async () => {
    setReload('reloading…');
    try {
      const r = await sendJson<ReloadResult>('POST', '/reload');
      setReload(r.changed ? `reloaded: now at revision ${r.revision}` : `unchanged: revision ${r.revision}`);
    } catch (err) {
      setReload(`rejected: ${(err as Error).message}`);
    }
    status.reload();
  };
  const s = status.data;
  if (status.error) return html`<p class="error">${status.error}</p>`;
  if (!s) return html`<p class="muted">Loading…</p>`;
  const last = s.lastReload;
  return html`<h2>Status</h2>
    <div class="grid">
      <section class="card">
        <h3>Gateway</h3>
        <dl class="kv">
          <dt>Revision</dt>
          <dd id="revision">${s.revision}</dd>
          <dt>Config</dt>
          <dd class="mono">${s.config}</dd>
          <dt>Loaded</dt>
          <dd>${fmtTime(s.loadedAt)}</dd>
          <dt>Started</dt>
          <dd>${fmtTime(s.startedAt)}</dd>
          <dt>Data listener</dt>
          <dd class="mono">${s.url}</dd>
          <dt>Process</dt>
          <dd>pid ${s.pid}${cluster.data?.worker ? ' (a worker of --workers)' : ''}</dd>
          <dt>In flight</dt>
          <dd>${s.inflight}${s.draining ? html` <span class="badge warn">draining</span>` : ''}</dd>
          <dt>APIs</dt>
          <dd>${s.apis.length}</dd>
          <dt>Store</dt>
          <dd>${s.store ? html`<code>${JSON.stringify(s.store)}</code>` : 'embedded'}</dd>
        </dl>
      </section>
      <section class="card">
        <h3>Reload</h3>
        <p>
          Last reload:
          ${
            last
              ? html`<span class=${last.ok ? 'ok' : 'error'} id="last-reload">${last.ok ? 'ok' : 'rejected'}</span> at
                  ${fmtTime(last.at)} (${last.reason})`
              : html`<span class="muted" id="last-reload">none since start</span>`
          }
        </p>
        <div class="actions">
          <button id="reload" onClick=${doReload}>Reload the config file</button>
          ${reload && html`<span id="reload-result">${reload}</span>`}
        </div>
        <h3>Last reload error</h3>
        ${
          s.lastReloadError
            ? html`<${ReloadErrorView} e=${s.lastReloadError} />`
            : html`<p class="muted" id="reload-error">No reload has been rejected since start.</p>`
        }
      </section>
    </div>`;
}
