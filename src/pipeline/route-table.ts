import type { Snapshot } from './context.js';

export interface RouteRow {
  api: string;
  type: 'rest' | 'http';
  stage: string;
  method: string;
  /** Full public path: base path + stage prefix + route path, or "(any unmatched)" for $default. */
  path: string;
  routeKey: string;
  integration: string;
  hosts: string;
  /** The route's policies in this stage, in the order they run (`apiKey`, `throttle`, ...). */
  policies: string[];
}

/** One row per api × stage × route, in config order: what `portico routes` prints. */
export function routeRows(snapshot: Snapshot): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const [i, api] of snapshot.apis.entries()) {
    const cfg = snapshot.config.apis[i];
    const base = !cfg || cfg.basePath === '/' ? '' : cfg.basePath;
    for (const stage of api.stages) {
      for (const route of api.routes) {
        const prefix = `${base}${stage.prefix}`;
        rows.push({
          api: api.name,
          type: api.type,
          stage: stage.name,
          method: route.key.isDefault ? '*' : route.key.method,
          path: route.key.isDefault ? `${prefix || ''}/* ($default)` : `${prefix}${route.key.path}` || '/',
          routeKey: route.key.key,
          integration: route.pipelines[stage.index]?.integration.description ?? '',
          hosts: cfg?.hosts.length ? cfg.hosts.join(',') : '*',
          policies: route.pipelines[stage.index]?.policies.map((p) => p.name) ?? [],
        });
      }
    }
  }
  return rows;
}

/** A plain-text table with a header row. */
export function formatTable(rows: readonly Record<string, string>[], columns: readonly string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join(
    '\n',
  );
}
