import type { PorticoConfig } from '../config/schema.js';
import { redact } from './redact.js';

/**
 * A semantic diff of two configs, as decK's `deck diff` shows one: entities created, deleted or
 * updated, and for an update the fields that changed. Entities: upstreams, APIs (their own fields),
 * stages, routes (with their policies and integration), and every other top-level section. Values
 * are shown redacted (src/deployments/redact.ts); a changed secret shows as changed.
 */

export type DiffKind = 'upstream' | 'api' | 'stage' | 'route' | 'settings';

export interface FieldChange {
  /** `integration.uri`, `throttle.rateLimit` */
  path: string;
  from?: unknown;
  to?: unknown;
}

export interface DiffEntry {
  action: 'create' | 'update' | 'delete';
  kind: DiffKind;
  /** `shop GET /pets/{id}` for a route, `shop/prod` for a stage, the name otherwise. */
  name: string;
  /** For an update: what changed. */
  fields?: FieldChange[];
}

export interface ConfigDiff {
  changes: DiffEntry[];
  summary: { create: number; update: number; delete: number };
}

type Entities = Map<string, { kind: DiffKind; name: string; value: unknown }>;

/** The config as a flat list of entities, keyed by kind and name, in config order. */
function entities(config: PorticoConfig): Entities {
  const out: Entities = new Map();
  const add = (kind: DiffKind, name: string, value: unknown) => out.set(`${kind} ${name}`, { kind, name, value });
  for (const [name, up] of Object.entries(config.upstreams ?? {})) add('upstream', name, up);
  for (const api of config.apis) {
    const { routes, stages, ...own } = api;
    add('api', api.name, own);
    for (const [stage, s] of Object.entries(stages)) add('stage', `${api.name}/${stage}`, s);
    for (const route of routes) add('route', `${api.name} ${route.route}`, route);
  }
  for (const [key, value] of Object.entries(config)) {
    if (key === 'apis' || key === 'upstreams' || key === 'version') continue;
    add('settings', key, value);
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The leaf fields that differ (objects compared key by key, arrays and scalars as wholes). */
function fieldChanges(from: unknown, to: unknown, path: string, out: FieldChange[]): void {
  if (same(from, to)) return;
  if (isObject(from) && isObject(to)) {
    for (const k of new Set([...Object.keys(from), ...Object.keys(to)]))
      fieldChanges(from[k], to[k], path ? `${path}.${k}` : k, out);
    return;
  }
  const change: FieldChange = { path: path || '(all)' };
  if (from !== undefined) change.from = from;
  if (to !== undefined) change.to = to;
  out.push(change);
}

/** What changes when `to` replaces `from`: deletions first, then updates and creations in `to`'s order. */
export function diffConfigs(from: PorticoConfig, to: PorticoConfig): ConfigDiff {
  const a = entities(from);
  const b = entities(to);
  const changes: DiffEntry[] = [];
  for (const [key, e] of a) if (!b.has(key)) changes.push({ action: 'delete', kind: e.kind, name: e.name });
  for (const [key, e] of b) {
    const old = a.get(key);
    if (!old) changes.push({ action: 'create', kind: e.kind, name: e.name });
    else if (!same(old.value, e.value)) {
      const fields: FieldChange[] = [];
      // Redacted on both sides, compared unredacted: a new secret is a change, its value is not shown.
      fieldChanges(redact(old.value), redact(e.value), '', fields);
      if (!fields.length) fields.push({ path: '(secret)', from: '[redacted]', to: '[redacted]' });
      changes.push({ action: 'update', kind: e.kind, name: e.name, fields });
    }
  }
  const count = (action: DiffEntry['action']) => changes.filter((c) => c.action === action).length;
  return { changes, summary: { create: count('create'), update: count('update'), delete: count('delete') } };
}

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));
const VERB = { create: 'creating', update: 'updating', delete: 'deleting' } as const;

/** The diff as text, one entity a line and its changed fields under it (deck diff's layout). */
export function formatDiff(diff: ConfigDiff): string {
  const lines: string[] = [];
  for (const c of diff.changes) {
    lines.push(`${VERB[c.action]} ${c.kind} ${c.name}`);
    for (const f of c.fields ?? []) lines.push(`  ${f.path}: ${show(f.from)} → ${show(f.to)}`);
  }
  const s = diff.summary;
  lines.push(`Summary: created ${s.create}, updated ${s.update}, deleted ${s.delete}`);
  return lines.join('\n');
}
