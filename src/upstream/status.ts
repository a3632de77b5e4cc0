import { UpstreamInputError } from '../kernel/errors.js';
import { type Endpoint, round } from './endpoint.js';
import type { CircuitBreaker } from './breaker.js';
import type { UpstreamConfig } from './schema.js';

/**
 * The admin side of an upstream runtime: its status document and runtime weight/drain changes.
 * The runtime hands in its private state (endpoints, overrides, DNS) as StatusParts.
 */

export interface Override {
  weight?: number;
  /** The configured weight when the override was made: a reload that changes it drops the override. */
  configWeight: number;
  drained?: boolean;
}

export interface DnsState {
  host: string;
  addresses: string[] | undefined;
  ttlMs: number | undefined;
  nextAt: number;
  error: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

export interface TargetChange {
  url: string;
  weight?: number;
  drained?: boolean;
}

/** What these functions read of the runtime (UpstreamRuntime, without importing it back). */
export interface RuntimeView {
  readonly name: string;
  readonly cfg: UpstreamConfig;
  readonly breaker: CircuitBreaker | undefined;
  effectiveWeight(ep: Endpoint, now: number): number;
  isEjected(ep: Endpoint, now: number): boolean;
}

/** The runtime's private state these functions read (and, for weights, write). */
export interface StatusParts {
  endpoints: readonly Endpoint[];
  overrides: Map<string, Override>;
  dns: ReadonlyMap<string, DnsState>;
}

/** Applies weight/drain changes atomically (all or none). */
export function applyTargetChanges(
  rt: RuntimeView,
  parts: StatusParts,
  changes: readonly TargetChange[],
  now: number,
): void {
  for (const c of changes) {
    const t = rt.cfg.targets.find((x) => x.url === c.url);
    if (!t) {
      throw new UpstreamInputError(
        404,
        `upstream "${rt.name}" has no target ${c.url}; targets: ${rt.cfg.targets.map((x) => x.url).join(', ')}`,
      );
    }
    if (c.weight !== undefined && (!Number.isInteger(c.weight) || c.weight < 0 || c.weight > 1000)) {
      throw new UpstreamInputError(
        400,
        `weight for ${c.url} must be an integer from 0 to 1000, got ${JSON.stringify(c.weight)}`,
      );
    }
    if (c.drained !== undefined && typeof c.drained !== 'boolean')
      throw new UpstreamInputError(400, `drained for ${c.url} must be true or false`);
  }
  for (const c of changes) {
    const t = rt.cfg.targets.find((x) => x.url === c.url)!;
    const o = parts.overrides.get(c.url) ?? { configWeight: t.weight };
    const wasOff = (o.drained ?? false) || (o.weight ?? t.weight) === 0;
    if (c.weight !== undefined) o.weight = c.weight;
    if (c.drained !== undefined) o.drained = c.drained;
    const isOn = !o.drained && (o.weight ?? t.weight) > 0;
    // A target that starts taking traffic again ramps up (slow start).
    if (wasOff && isOn) for (const ep of parts.endpoints) if (ep.targetUrl === c.url) ep.healthySince = now;
    parts.overrides.set(c.url, o);
  }
}

export function upstreamStatus(rt: RuntimeView, parts: StatusParts, now: number): Record<string, unknown> {
  return {
    name: rt.name,
    balancer: rt.cfg.balancer,
    healthCheck: rt.cfg.healthCheck ? 'active' : 'off',
    breaker: rt.breaker?.status() ?? null,
    targets: parts.endpoints.map((ep) => {
      const o = parts.overrides.get(ep.targetUrl);
      const cfgWeight = rt.cfg.targets.find((t) => t.url === ep.targetUrl)?.weight ?? 0;
      return {
        url: ep.targetUrl,
        address: ep.address ?? null,
        origin: ep.origin,
        weight: o?.weight ?? cfgWeight,
        configWeight: cfgWeight,
        effectiveWeight: round(rt.effectiveWeight(ep, now)),
        drained: o?.drained ?? false,
        health: rt.cfg.healthCheck ? (ep.healthy ? 'healthy' : 'unhealthy') : 'unchecked',
        ejected: rt.isEjected(ep, now),
        ejectedForMs: Math.max(0, ep.ejectedUntil - now),
        ejections: ep.ejections,
        inflight: ep.inflight,
        requests: ep.requests,
        failures: ep.failures,
        recent: ep.recent(),
        lastCheck: ep.lastCheck
          ? {
              ok: ep.lastCheck.ok,
              status: ep.lastCheck.status ?? null,
              error: ep.lastCheck.error ?? null,
              at: new Date(ep.lastCheck.at).toISOString(),
            }
          : null,
      };
    }),
    dns: [...parts.dns.entries()].map(([url, d]) => ({
      url,
      host: d.host,
      addresses: d.addresses ?? [],
      ttlMs: d.ttlMs ?? null,
      nextRefreshInMs: Math.max(0, d.nextAt - now),
      error: d.error ?? null,
    })),
  };
}
