import { useState } from 'preact/hooks';
import { getJson, sendJson } from '../api.js';
import { html, useLoad } from '../html.js';

interface Target {
  url: string;
  address: string | null;
  weight: number;
  configWeight: number;
  effectiveWeight: number;
  drained: boolean;
  health: 'healthy' | 'unhealthy' | 'unchecked';
  ejected: boolean;
  inflight: number;
  requests: number;
  failures: number;
}
interface Upstream {
  name: string;
  balancer: string;
  healthCheck: string;
  breaker: { state?: string } | null;
  targets: Target[];
}
type Change = { url: string; weight?: number; drained?: boolean };

/** Targets by URL (a target with several DNS addresses is listed once per address). */
function byUrl(targets: Target[]): Map<string, Target[]> {
  const m = new Map<string, Target[]>();
  for (const t of targets) m.set(t.url, [...(m.get(t.url) ?? []), t]);
  return m;
}

function healthBadge(t: Target) {
  if (t.drained) return html`<span class="badge warn">drained</span>`;
  if (t.ejected) return html`<span class="badge bad">ejected</span>`;
  if (t.health === 'unhealthy') return html`<span class="badge bad">unhealthy</span>`;
  if (t.health === 'healthy') return html`<span class="badge ok">healthy</span>`;
  return html`<span class="badge">unchecked</span>`;
}

function UpstreamCard({ u, onChanged }: { u: Upstream; onChanged: () => void }) {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [weights, setWeights] = useState<Record<string, string>>({});
  const patch = async (targets: Change[], what: string) => {
    try {
      await sendJson('PATCH', `/upstreams/${encodeURIComponent(u.name)}/targets`, { targets });
      setMessage({ ok: true, text: what });
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
    onChanged();
  };
  const urls = [...byUrl(u.targets)];
  // Blue/green: all traffic to one target (its configured weight, at least 1), none to the others, in one change.
  const switchTo = (url: string, cfg: number) =>
    patch(
      urls.map(([other]) =>
        other === url ? { url, weight: Math.max(cfg, 1), drained: false } : { url: other, weight: 0 },
      ),
      `all traffic to ${url}`,
    );
  const reset = () =>
    patch(
      urls.map(([url, eps]) => ({ url, weight: eps[0]!.configWeight, drained: false })),
      'configured weights restored',
    );
  return html`<section class="card upstream" data-upstream=${u.name}>
    <h3>
      ${u.name} <span class="badge">${u.balancer}</span> <span class="badge">health checks ${u.healthCheck}</span>
      ${u.breaker?.state && html`<span class=${`badge ${u.breaker.state === 'closed' ? 'ok' : 'bad'}`}>breaker ${u.breaker.state}</span>`}
    </h3>
    <table>
      <thead>
        <tr>
          <th>Target</th>
          <th>State</th>
          <th>Weight (config)</th>
          <th>Live weight</th>
          <th>In flight</th>
          <th>Requests / failures</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        ${urls.map(([url, eps]) => {
          const t = eps[0]!;
          const live = eps.reduce((a, e) => a + e.effectiveWeight, 0);
          return html`<tr data-target=${url}>
            <td class="mono">${url}${eps.map((e) => e.address && html`<div class="muted">${e.address}</div>`)}</td>
            <td class="state">${eps.map(healthBadge)}</td>
            <td>${t.weight} <span class="muted">(${t.configWeight})</span></td>
            <td class="live-weight">${Math.round(live * 100) / 100}</td>
            <td>${eps.reduce((a, e) => a + e.inflight, 0)}</td>
            <td>${eps.reduce((a, e) => a + e.requests, 0)} / ${eps.reduce((a, e) => a + e.failures, 0)}</td>
            <td>
              <div class="actions">
                ${
                  t.drained
                    ? html`<button
                        class="undrain"
                        onClick=${() => patch([{ url, drained: false }], `${url} undrained`)}
                      >
                        Undrain
                      </button>`
                    : html`<button class="drain" onClick=${() => patch([{ url, drained: true }], `${url} drained`)}>
                        Drain
                      </button>`
                }
                <button class="switch" onClick=${() => switchTo(url, t.configWeight)}>All traffic here</button>
                <input
                  class="weight"
                  type="number"
                  min="0"
                  max="1000"
                  aria-label=${`weight of ${url}`}
                  value=${weights[url] ?? String(t.weight)}
                  onInput=${(e: Event) => setWeights({ ...weights, [url]: (e.target as HTMLInputElement).value })}
                />
                <button
                  class="set-weight"
                  onClick=${() => patch([{ url, weight: Number(weights[url] ?? t.weight) }], `${url} weight set`)}
                >
                  Set weight
                </button>
              </div>
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
    <div class="actions below">
      <button class="reset" onClick=${reset}>Restore configured weights</button>
      ${message && html`<span class=${message.ok ? 'ok message' : 'error message'}>${message.text}</span>`}
    </div>
  </section>`;
}

export function UpstreamsPage() {
  const ups = useLoad(() => getJson<{ upstreams: Upstream[] }>('/upstreams'), 3000);
  if (ups.error) return html`<p class="error">${ups.error}</p>`;
  if (!ups.data) return html`<p class="muted">Loading…</p>`;
  return html`<h2>Upstreams</h2>
    <p class="muted">
      Live weights follow health, slow start and drains (docs/upstreams.md). Runtime weights and drains survive reloads;
      a drain stays until undone.
    </p>
    ${
      ups.data.upstreams.length
        ? ups.data.upstreams.map((u) => html`<${UpstreamCard} u=${u} onChanged=${ups.reload} />`)
        : html`<p class="muted">The config names no upstreams (routes with a <code>uri</code> go straight to it).</p>`
    }`;
}
