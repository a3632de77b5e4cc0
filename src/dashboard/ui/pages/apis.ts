import { getJson } from '../api.js';
import { html, useLoad } from '../html.js';

interface RouteRow {
  api: string;
  type: string;
  stage: string;
  method: string;
  path: string;
  routeKey: string;
  integration: string;
  hosts: string;
  policies?: string[];
}

/** Rows grouped by API, then stage, in the order the admin API lists them. */
function group(rows: RouteRow[]): Map<string, Map<string, RouteRow[]>> {
  const apis = new Map<string, Map<string, RouteRow[]>>();
  for (const r of rows) {
    const stages = apis.get(r.api) ?? new Map<string, RouteRow[]>();
    apis.set(r.api, stages);
    stages.set(r.stage, [...(stages.get(r.stage) ?? []), r]);
  }
  return apis;
}

export function ApisPage() {
  const routes = useLoad(() => getJson<RouteRow[]>('/routes'));
  if (routes.error) return html`<p class="error">${routes.error}</p>`;
  if (!routes.data) return html`<p class="muted">Loading…</p>`;
  const apis = group(routes.data);
  if (!apis.size)
    return html`<h2>APIs</h2>
      <p class="muted">The config has no APIs.</p>`;
  return html`<h2>APIs, stages and routes</h2>
    ${[...apis].map(([api, stages]) => {
      const first = [...stages.values()][0]![0]!;
      return html`<section class="card api" data-api=${api}>
        <h3>
          ${api} <span class="badge">${first.type.toUpperCase()}</span> <span class="muted">hosts ${first.hosts}</span>
        </h3>
        ${[...stages].map(
          ([stage, rows]) =>
            html`<h3 class="muted">stage ${stage}</h3>
              <table>
                <thead>
                  <tr>
                    <th>Method</th>
                    <th>Path</th>
                    <th>Policies</th>
                    <th>Integration</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (r) =>
                      html`<tr>
                        <td class="mono">${r.method}</td>
                        <td class="mono">${r.path}</td>
                        <td class="policies">
                          ${
                            (r.policies ?? []).length
                              ? r.policies!.map((p) => html`<span class="badge">${p}</span>`)
                              : html`<span class="muted">none</span>`
                          }
                        </td>
                        <td class="mono">${r.integration}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`,
        )}
      </section>`;
    })}`;
}
