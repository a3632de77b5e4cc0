import { isObj, type Json } from './json.js';
import type { ImportReport } from './report.js';

/**
 * A Stage's (or a Deployment's StageDescription's) MethodSettings / cache cluster → the stage's
 * routeThrottle and cache plus route cache overrides; the throttle helpers keys-plans.ts shares.
 */

const AWS_DEFAULT_RATE = 10_000;
const AWS_DEFAULT_BURST = 5_000;

/** "/~1pets~1{id}" (CloudFormation's encoding) or "/pets/{id}" → "/pets/{id}"; "/" → "/". */
export function decodeResourcePath(p: unknown): string {
  const s = typeof p === 'string' && p ? p : '/*';
  return s.includes('~1') ? s.slice(1).replaceAll('~1', '/').replaceAll('~0', '~') || '/' : s;
}

export function routeParts(r: Json): { method: string; path: string } | undefined {
  const m = /^([A-Z]+) (\/\S*)$/.exec(String(r.route));
  return m ? { method: m[1] as string, path: m[2] as string } : undefined;
}

/** The "/path/METHOD" key of routeThrottle and usage plan throttles ("//GET" for GET /). */
export const overrideKey = (p: { method: string; path: string }) => `${p.path}/${p.method}`;

export const truthy = (v: unknown) => v === true || v === 'true';
export const num = (v: unknown): number | undefined =>
  v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v);

/** {RateLimit|ThrottlingRateLimit, BurstLimit|ThrottlingBurstLimit} → {rate, burst}; AWS's stage defaults fill a missing half. */
export function bucket(
  rate: unknown,
  burst: unknown,
  at: string,
  report: ImportReport,
  what: string,
): Json | undefined {
  const r = num(rate);
  const b = num(burst);
  if (r === undefined && b === undefined) return undefined;
  if (r === 0 || b === 0) {
    report.unsupported(at, what, 'a limit of 0 (refuse every request) is not supported; left out');
    return undefined;
  }
  if (r === undefined || b === undefined) {
    report.approximated(
      at,
      what,
      `only ${r === undefined ? 'the burst' : 'the rate'} is set; the other is AWS's default (${AWS_DEFAULT_RATE} rps, burst ${AWS_DEFAULT_BURST})`,
    );
  }
  return { rate: r ?? AWS_DEFAULT_RATE, burst: Math.max(1, Math.round(b ?? AWS_DEFAULT_BURST)) };
}

/**
 * A Stage's (or StageDescription's) throttling and caching → `stage` (routeThrottle, cache) and the
 * routes' `cache`. `/*` `*` method settings (and StageDescription's own Throttling* / Caching*) are
 * AWS's default method settings: limits per method, so each route gets its own bucket, as on AWS.
 */
export function mapStageSettings(stage: Json, p: Json, routes: Json[], at: string, report: ImportReport): void {
  const parts = routes.map((r) => ({ r, k: routeParts(r) }));
  const cluster = truthy(p.CacheClusterEnabled);
  const throttle: Record<string, Json> = {};
  const caching: { enabled?: boolean; ttl?: number } = {};
  const perRoute = new Map<Json, Json>();

  const settle = (ms: Json, msAt: string, targets: typeof parts, wildcard: boolean) => {
    const limit = bucket(ms.ThrottlingRateLimit, ms.ThrottlingBurstLimit, msAt, report, 'throttling');
    if (limit)
      for (const t of targets)
        if (t.k && (wildcard ? !(overrideKey(t.k) in throttle) : true)) throttle[overrideKey(t.k)] = limit;
    const enabled = ms.CachingEnabled === undefined ? undefined : truthy(ms.CachingEnabled);
    const ttl = num(ms.CacheTtlInSeconds);
    if (ttl !== undefined && (ttl < 0 || ttl > 3600))
      report.unsupported(
        `${msAt}/CacheTtlInSeconds`,
        'CacheTtlInSeconds',
        `expected 0-3600 seconds, got ${ttl}; left out`,
      );
    const okTtl = ttl !== undefined && ttl >= 0 && ttl <= 3600 ? ttl : undefined;
    if (wildcard) {
      if (enabled !== undefined) caching.enabled = enabled;
      if (okTtl !== undefined) caching.ttl = okTtl;
    } else if (enabled !== undefined || okTtl !== undefined) {
      for (const t of targets) {
        const c: Json = { ...(perRoute.get(t.r) ?? {}) };
        if (enabled !== undefined) c.enabled = enabled;
        if (okTtl !== undefined) c.ttlSeconds = okTtl;
        // AWS caches GET only unless a method's own settings enable it.
        if (enabled && t.k && t.k.method !== 'GET' && t.k.method !== 'ANY') c.methods = [t.k.method];
        perRoute.set(t.r, c);
      }
    }
    for (const [key, why] of Object.entries(UNMAPPED_METHOD_SETTINGS))
      if (ms[key] !== undefined) report.unsupported(`${msAt}/${key}`, key, why);
    if (
      ms.RequireAuthorizationForCacheControl !== undefined ||
      ms.UnauthorizedCacheControlHeaderStrategy !== undefined
    ) {
      const c = wildcard ? ((stage.cache ??= {}) as Json) : undefined;
      const apply = (o: Json) => {
        if (ms.RequireAuthorizationForCacheControl !== undefined)
          o.requireAuthorization = truthy(ms.RequireAuthorizationForCacheControl);
        if (typeof ms.UnauthorizedCacheControlHeaderStrategy === 'string')
          o.unauthorizedStrategy = ms.UnauthorizedCacheControlHeaderStrategy;
      };
      if (c) apply(c);
      else for (const t of targets) apply(perRoute.get(t.r) ?? (perRoute.set(t.r, {}).get(t.r) as Json));
    }
  };

  // StageDescription's own fields are the stage's default method settings.
  settle(p, at, parts, true);
  const settings = Array.isArray(p.MethodSettings) ? (p.MethodSettings as unknown[]) : [];
  // Wildcards first, so a specific method's settings win whatever the order in the template.
  const order = settings.map((ms, i) => ({ ms, i })).filter((x) => isObj(x.ms));
  const isWild = (ms: Json) => decodeResourcePath(ms.ResourcePath) === '/*' && (ms.HttpMethod ?? '*') === '*';
  order.sort((a, b) => Number(!isWild(a.ms as Json)) - Number(!isWild(b.ms as Json)));
  for (const { ms, i } of order as { ms: Json; i: number }[]) {
    const msAt = `${at}/MethodSettings/${i}`;
    const path = decodeResourcePath(ms.ResourcePath);
    const method = String(ms.HttpMethod ?? '*').toUpperCase();
    if (isWild(ms)) {
      settle(ms, msAt, parts, true);
      continue;
    }
    const targets = parts.filter(
      (t) => t.k && (path === '/*' || t.k.path === path) && (method === '*' || t.k.method === method),
    );
    if (!targets.length) {
      report.unsupported(
        msAt,
        'MethodSettings',
        `no imported method matches ResourcePath ${path} HttpMethod ${method}; left out`,
      );
      continue;
    }
    settle(ms, msAt, targets, false);
  }

  if (Object.keys(throttle).length)
    stage.routeThrottle = { ...((stage.routeThrottle as Json | undefined) ?? {}), ...throttle };
  const wantsCache = caching.enabled || [...perRoute.values()].some((c) => c.enabled === true);
  if (wantsCache && !cluster) {
    report.approximated(
      `${at}/CacheClusterEnabled`,
      'CachingEnabled',
      'caching is enabled but CacheClusterEnabled is not: AWS caches nothing without a cache cluster, and neither does the import',
    );
  }
  if (cluster) applyCacheCluster(stage, p, at, report, caching, perRoute);
}

/** With a cache cluster: the stage's cache (its default settings and memory budget) and the routes' own. */
function applyCacheCluster(
  stage: Json,
  p: Json,
  at: string,
  report: ImportReport,
  caching: { enabled?: boolean; ttl?: number },
  perRoute: Map<Json, Json>,
): void {
  const cache = (stage.cache ??= {}) as Json;
  cache.enabled = caching.enabled ?? false;
  if (caching.ttl !== undefined) cache.ttlSeconds = caching.ttl;
  const size = num(p.CacheClusterSize);
  if (size !== undefined) {
    cache.capacityMB = Math.round(size * 1024);
    report.approximated(
      `${at}/CacheClusterSize`,
      'CacheClusterSize',
      `${size} GB becomes the stage cache's memory budget (capacityMB ${cache.capacityMB}, least recently used entries evicted)`,
    );
  }
  for (const [r, c] of perRoute) {
    const prev = r.cache as Json | undefined;
    if (prev && JSON.stringify(prev) !== JSON.stringify(c)) {
      report.approximated(
        at,
        'MethodSettings',
        `${String(r.route)}: route cache settings apply to every stage of the API; another stage's differ and were replaced`,
      );
    }
    r.cache = c;
  }
}

const UNMAPPED_METHOD_SETTINGS: Record<string, string> = {
  LoggingLevel: 'CloudWatch execution logging: use the access log (docs/observability.md)',
  DataTraceEnabled: 'CloudWatch execution logging: use the access log (docs/observability.md)',
  MetricsEnabled: 'detailed CloudWatch metrics: Portico always exports per-route Prometheus metrics',
  CacheDataEncrypted: 'cache entries are not encrypted at rest (memory or Redis)',
};
