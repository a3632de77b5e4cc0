import { getJson } from '../api.js';
import { html, useLoad } from '../html.js';
import { Bars } from '../charts.js';

interface Key {
  id: string;
  name: string;
  enabled: boolean;
  plans: string[];
  description?: string;
  createdAt?: string;
  expiresAt?: string | null;
}
interface Plan {
  name: string;
  keys: number;
  throttle?: { rate?: number; burst?: number };
  quota?: { limit?: number; period?: string };
  [k: string]: unknown;
}
interface Usage {
  keyId: string;
  from: string;
  to: string;
  total: number;
  items: Record<string, number>;
}

/** Usage of the first keys only: one request each. */
const USAGE_OF = 50;

async function load() {
  const [keys, plans] = await Promise.all([
    getJson<{ items: Key[] }>('/keys'),
    getJson<{ items: Plan[] }>('/usage-plans'),
  ]);
  const usage = await Promise.all(
    keys.items
      .slice(0, USAGE_OF)
      .map((k) => getJson<Usage>(`/keys/${encodeURIComponent(k.id)}/usage`).catch(() => undefined)),
  );
  return { keys: keys.items, plans: plans.items, usage };
}

const limits = (p: Plan) =>
  [
    p.throttle?.rate !== undefined && `${p.throttle.rate} req/s`,
    p.throttle?.burst !== undefined && `burst ${p.throttle.burst}`,
    p.quota?.limit !== undefined && `${p.quota.limit} per ${String(p.quota.period ?? '').toLowerCase()}`,
  ]
    .filter(Boolean)
    .join(', ') || 'no limits';

export function KeysPage() {
  const d = useLoad(load, 10000);
  if (d.error) return html`<p class="error">${d.error}</p>`;
  if (!d.data) return html`<p class="muted">Loading…</p>`;
  const { keys, plans, usage } = d.data;
  return html`<h2>API keys, usage plans and usage</h2>
    <section class="card">
      <h3>Usage plans</h3>
      ${
        plans.length
          ? html`<table id="plans">
              <thead>
                <tr>
                  <th>Plan</th>
                  <th>Limits</th>
                  <th>Keys</th>
                </tr>
              </thead>
              <tbody>
                ${plans.map(
                  (p) =>
                    html`<tr>
                      <td>${p.name}</td>
                      <td>${limits(p)}</td>
                      <td>${p.keys}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">No usage plans in the config.</p>`
      }
    </section>
    <section class="card">
      <h3>API keys</h3>
      ${
        keys.length
          ? html`<table id="keys">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Id</th>
                  <th>State</th>
                  <th>Plans</th>
                  <th>Requests, last 30 days</th>
                </tr>
              </thead>
              <tbody>
                ${keys.map((k, i) => {
                  const u = usage[i];
                  return html`<tr data-key=${k.name}>
                    <td>${k.name}</td>
                    <td class="mono">${k.id}</td>
                    <td>
                      ${k.enabled ? html`<span class="badge ok">enabled</span>` : html`<span class="badge bad">disabled</span>`}
                    </td>
                    <td>${k.plans.map((p) => html`<span class="badge">${p}</span>`)}</td>
                    <td class="usage">
                      ${
                        u
                          ? html`<span class="total">${u.total}</span>
                              <${Bars} values=${Object.values(u.items)} labels=${Object.keys(u.items)} />`
                          : html`<span class="muted">${i < USAGE_OF ? 'unavailable' : 'not loaded'}</span>`
                      }
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>`
          : html`<p class="muted">No API keys yet (<code>portico keys create</code>).</p>`
      }
    </section>`;
}
