import { AdminError, type AdminRequest, type AdminRoute } from '../admin/types.js';
import { upstreamRegistry } from './registry.js';
import { UpstreamInputError } from '../kernel/errors.js';
import type { TargetChange, UpstreamRuntime } from './runtime.js';

function runtimeFor(r: AdminRequest): UpstreamRuntime {
  const reg = upstreamRegistry(r.target.runtime);
  const name = r.params.name as string;
  const rt = reg?.get(name);
  if (!rt) throw new AdminError(404, `no upstream "${name}"; upstreams: ${reg?.names().join(', ') || 'none'}`);
  return rt;
}

function parseChanges(body: unknown): TargetChange[] {
  const targets = (body as { targets?: unknown } | null)?.targets;
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new AdminError(400, 'expected {"targets": [{"url": "...", "weight": 10, "drained": false}, ...]}');
  }
  return targets.map((t, i) => {
    const o = t as Record<string, unknown>;
    if (typeof o?.url !== 'string') throw new AdminError(400, `targets[${i}].url must be a target URL string`);
    const extra = Object.keys(o).filter((k) => k !== 'url' && k !== 'weight' && k !== 'drained');
    if (extra.length)
      throw new AdminError(400, `targets[${i}]: unknown field ${extra.join(', ')} (expected url, weight, drained)`);
    const c: TargetChange = { url: o.url };
    if (o.weight !== undefined) c.weight = o.weight as number;
    if (o.drained !== undefined) c.drained = o.drained as boolean;
    return c;
  });
}

/** Upstream status and runtime weights (blue/green, canary, drain). */
export const UPSTREAM_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/upstreams',
    description:
      'every upstream: targets with health, ejection, weights, in-flight, recent latency and errors; breaker',
    handle: ({ target }) => {
      const reg = upstreamRegistry(target.runtime);
      return { body: { upstreams: reg ? reg.names().map((n) => reg.get(n)!.status()) : [] } };
    },
  },
  {
    method: 'GET',
    path: '/upstreams/:name',
    description: 'one upstream’s status',
    handle: (r) => ({ body: runtimeFor(r).status() }),
  },
  {
    method: 'PATCH',
    path: '/upstreams/:name/targets',
    description:
      'set target weights and drain flags at runtime: {"targets": [{"url", "weight"?, "drained"?}]} (all or none)',
    handle: async (r) => {
      const rt = runtimeFor(r);
      const changes = parseChanges(await r.body());
      try {
        rt.setTargets(changes);
      } catch (err) {
        if (err instanceof UpstreamInputError) throw new AdminError(err.status, err.message);
        throw err;
      }
      return { body: rt.status() };
    },
  },
];
