import { getJson } from '../api.js';
import { html, useLoad } from '../html.js';

// One deployment's diff against another, as GET /deployments/{id}/diff answers it: the admin API
// computes it with the differ `portico diff` uses (src/deployments/diff.ts); this only draws it, in
// the CLI's layout (one entity a line, its changed fields under it).

export type Against = 'serving' | 'previous';

export const diffPath = (id: string, against: Against) =>
  `/deployments/${encodeURIComponent(id)}/diff?against=${against}`;

interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}
interface DiffEntry {
  action: 'create' | 'update' | 'delete';
  kind: string;
  name: string;
  fields?: FieldChange[];
}
interface Comparison {
  deployment: { id: number };
  against: { id: number };
  diff: { changes: DiffEntry[]; summary: { create: number; update: number; delete: number } };
}

const VERB = { create: 'creating', update: 'updating', delete: 'deleting' } as const;
const MARK = { create: '+', update: '~', delete: '-' } as const;
const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

export function DeploymentDiff({ id, against }: { id: string; against: Against }) {
  const d = useLoad(() => getJson<Comparison>(diffPath(id, against)));
  if (d.error) return html`<p class="error" id="diff-error">${d.error}</p>`;
  if (d.data === undefined) return html`<p class="muted">Loading the diff…</p>`;
  const { diff, against: base } = d.data;
  const s = diff.summary;
  return html`<h3>
      Deployment ${id} against ${against === 'serving' ? 'the serving' : 'the previous'} deployment ${base.id}
    </h3>
    <div id="deployment-diff" data-against=${String(base.id)}>
      ${diff.changes.length === 0 && html`<p class="muted">No change: both deployments have the same config.</p>`}
      ${diff.changes.map(
        (c) =>
          html`<div class=${`change ${c.action}`}>
            <div class="mono">${MARK[c.action]} ${VERB[c.action]} ${c.kind} ${c.name}</div>
            ${(c.fields ?? []).map(
              (f) => html`<div class="mono field">${f.path}: ${show(f.from)} → ${show(f.to)}</div>`,
            )}
          </div>`,
      )}
      <p class="muted summary">Summary: created ${s.create}, updated ${s.update}, deleted ${s.delete}</p>
    </div>`;
}
