/**
 * Parameter mapping (the 'transform' phase): API Gateway's HTTP API `append:/overwrite:/remove:` mappings and
 * REST `integration.request.*` requestParameters, applied to the upstream request of http_proxy
 * integrations through ctx.upstreamHeaderEdits, ctx.upstreamQuery and ctx.upstreamPath / ctx.params.
 * See docs/aws-compatibility.md#parameter-mapping.
 */
import type { RequestContext, Policy } from '../pipeline/context.js';
import type { PolicyFactory } from '../pipeline/policy.js';
import { compileMapping, type MappingOp } from './compile.js';

const UNSAFE = /[\0\r\n]/g;

/** The query string with one name's pairs edited, other pairs kept byte for byte. */
function editQuery(raw: string, op: MappingOp['op'], name: string, value: string, encoded: boolean): string {
  const pairs = raw ? raw.split('&').filter((p) => p !== '') : [];
  const same = (p: string) => {
    const eq = p.indexOf('=');
    const k = eq === -1 ? p : p.slice(0, eq);
    try {
      return decodeURIComponent(k.replace(/\+/g, ' ')) === name;
    } catch {
      return k === name;
    }
  };
  const kept = op === 'append' ? pairs : pairs.filter((p) => !same(p));
  if (op !== 'remove') kept.push(`${encodeURIComponent(name)}=${encoded ? value : encodeURIComponent(value)}`);
  return kept.join('&');
}

class MappingPolicy implements Policy {
  readonly name = 'mapping';
  readonly phase = 'transform' as const;
  readonly #ops: readonly MappingOp[];

  constructor(ops: readonly MappingOp[]) {
    this.#ops = ops;
  }

  access(ctx: RequestContext): undefined {
    // Every value is read from the request as received, before any edit (as AWS evaluates mappings).
    const values = this.#ops.map((o) => (o.op === 'remove' ? '' : o.value(ctx)));
    let query: string | undefined;
    let params: Record<string, string> | undefined;
    for (let i = 0; i < this.#ops.length; i++) {
      const o = this.#ops[i] as MappingOp;
      const v = values[i];
      if (v === undefined) continue; // an absent source maps to nothing
      if (o.target === 'header') {
        (ctx.upstreamHeaderEdits ??= []).push([o.op, o.name, v.replace(UNSAFE, '')]);
      } else if (o.target === 'querystring') {
        query = editQuery(query ?? ctx.rawQuery, o.op, o.name, v, o.encoded);
      } else if (o.name === '') {
        const p = o.encoded ? v : encodeURI(v);
        ctx.upstreamPath = p.startsWith('/') ? p : `/${p}`;
      } else {
        (params ??= { ...ctx.params })[o.name] = o.encoded ? v : encodeURIComponent(v);
      }
    }
    if (query !== undefined) ctx.upstreamQuery = query;
    if (params) ctx.params = params;
    return undefined;
  }
}

export const mappingPolicyFactory: PolicyFactory = {
  name: 'mapping',
  phase: 'transform',
  create(scope) {
    const integration = scope.route.integration as { type: string; requestParameters?: Record<string, string> };
    const mappings = integration.requestParameters;
    if (!mappings || Object.keys(mappings).length === 0) return undefined;
    const report = scope.stageName === Object.keys(scope.api.stages)[0];
    const ops: MappingOp[] = [];
    for (const [key, value] of Object.entries(mappings)) {
      const op = compileMapping(key, value);
      if (typeof op === 'string') {
        if (report) scope.issue(scope.at('routes', scope.routeIndex, 'integration', 'requestParameters', key), op);
        continue;
      }
      ops.push(op);
    }
    return ops.length ? new MappingPolicy(ops) : undefined;
  },
};
