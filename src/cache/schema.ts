import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';

/**
 * Config of the response cache: `apis[].stages.<name>.cache` (the stage cache, AWS's stage cache
 * settings) and `apis[].routes[].cache` (per-route overrides, AWS's method settings). See docs/caching.md.
 */

export const CACHE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const UNAUTHORIZED_STRATEGIES = [
  'FAIL_WITH_403',
  'SUCCEED_WITH_RESPONSE_HEADER',
  'SUCCEED_WITHOUT_RESPONSE_HEADER',
] as const;

/** AWS's spelling, so imported OpenAPI/CloudFormation definitions map one to one. */
export const CACHE_KEY_PARAMETER = /^method\.request\.(querystring|header|path)\.([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;

const cacheKeyParameter = z
  .string()
  .regex(
    CACHE_KEY_PARAMETER,
    'expected "method.request.querystring.NAME", "method.request.header.NAME" or "method.request.path.NAME" (every value of a repeated parameter is keyed)',
  );

const statusClass = z.union([z.number().int().min(100).max(599), z.enum(['2xx', '3xx', '4xx', '5xx'])]);

const fields = {
  enabled: z.boolean(),
  ttlSeconds: z.number().int().min(0).max(3600),
  methods: z.array(z.enum(CACHE_METHODS)).min(1, 'expected at least one method'),
  cacheKeyParameters: z.array(cacheKeyParameter),
  requireAuthorization: z.boolean(),
  unauthorizedStrategy: z.enum(UNAUTHORIZED_STRATEGIES),
  invalidators: z.strictObject({
    apiKeyIds: z.array(z.string().min(1)).default([]).describe('API key ids (not key values) that may invalidate.'),
    scopes: z.array(z.string().min(1)).default([]).describe('JWT scopes; a caller holding any of them may invalidate.'),
  }),
  staleWhileRevalidateSeconds: z.number().int().min(0).max(86400),
  staleIfErrorSeconds: z.number().int().min(0).max(86400),
  statuses: z.array(statusClass).min(1, 'expected at least one status or status class'),
  maxEntryBytes: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024),
  perKey: z.boolean(),
  setCookie: z.enum(['skip', 'strip']),
  backendCacheControl: z.enum(['respect', 'ignore']),
};

const D = {
  enabled: 'Cache responses of this stage’s routes (routes may opt out or in with their own `cache.enabled`).',
  ttlSeconds: 'How long an entry is fresh, 0..3600 seconds; 0 turns caching off. AWS default: 300.',
  methods: 'Methods whose responses are cached. HEAD is always answered from GET entries when GET is listed.',
  cacheKeyParameters:
    'Request parameters added to the cache key, in AWS’s spelling: method.request.querystring.NAME, ' +
    'method.request.header.NAME, method.request.path.NAME. Method, path and path parameters are always keyed; ' +
    'parameters not listed are ignored (a poisoning risk: see docs/caching.md).',
  requireAuthorization:
    'Only callers allowed by `invalidators` may invalidate an entry with Cache-Control: max-age=0. AWS default: true.',
  unauthorizedStrategy:
    'What an unauthorized Cache-Control: max-age=0 gets: FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER (served as if ' +
    'the header were absent, plus a Warning header; AWS default) or SUCCEED_WITHOUT_RESPONSE_HEADER.',
  invalidators: 'Who may invalidate when requireAuthorization is on: API key ids and/or JWT scopes.',
  staleWhileRevalidateSeconds:
    'After an entry expires, keep serving it (X-Cache: Stale) for this long while one background request refreshes it.',
  staleIfErrorSeconds:
    'After an entry expires, serve it (X-Cache: Stale) for this long when the integration fails or answers 500, 502, 503 or 504.',
  statuses: 'Statuses that are stored: numbers or classes ("2xx").',
  maxEntryBytes: 'Largest body stored, in bytes (AWS: 1 MiB). A larger response streams through and is not stored.',
  perKey: 'Namespace entries by API key, so callers with different keys never share an entry.',
  setCookie: 'Responses with Set-Cookie: "skip" (not stored) or "strip" (stored without the Set-Cookie header).',
  backendCacheControl:
    '"respect": responses with Cache-Control private, no-store or no-cache are not stored; "ignore": stored anyway (AWS).',
};

export const stageCacheSchema = z
  .strictObject({
    enabled: fields.enabled.default(false).describe(D.enabled),
    ttlSeconds: fields.ttlSeconds.default(300).describe(D.ttlSeconds),
    capacityMB: z
      .number()
      .positive()
      .max(1024 * 1024)
      .default(64)
      .describe(
        'Byte budget of the stage cache in MiB (fractions allowed); least recently used entries are evicted beyond it.',
      ),
    methods: fields.methods.default(['GET']).describe(D.methods),
    cacheKeyParameters: fields.cacheKeyParameters.default([]).describe(D.cacheKeyParameters),
    requireAuthorization: fields.requireAuthorization.default(true).describe(D.requireAuthorization),
    unauthorizedStrategy: fields.unauthorizedStrategy
      .default('SUCCEED_WITH_RESPONSE_HEADER')
      .describe(D.unauthorizedStrategy),
    invalidators: fields.invalidators.prefault({}).describe(D.invalidators),
    staleWhileRevalidateSeconds: fields.staleWhileRevalidateSeconds.default(0).describe(D.staleWhileRevalidateSeconds),
    staleIfErrorSeconds: fields.staleIfErrorSeconds.default(0).describe(D.staleIfErrorSeconds),
    statuses: fields.statuses.default(['2xx']).describe(D.statuses),
    maxEntryBytes: fields.maxEntryBytes.default(1024 * 1024).describe(D.maxEntryBytes),
    perKey: fields.perKey.default(false).describe(D.perKey),
    setCookie: fields.setCookie.default('skip').describe(D.setCookie),
    backendCacheControl: fields.backendCacheControl.default('respect').describe(D.backendCacheControl),
  })
  .describe('The stage cache (AWS stage cache settings). See docs/caching.md.');

const inherit = ' Defaults to the stage’s.';
export const routeCacheSchema = z
  .strictObject({
    enabled: fields.enabled.optional().describe(`${D.enabled.replace(/ \(.*\)\.$/, '.')}${inherit}`),
    ttlSeconds: fields.ttlSeconds.optional().describe(D.ttlSeconds + inherit),
    methods: fields.methods.optional().describe(D.methods + inherit),
    cacheKeyParameters: fields.cacheKeyParameters
      .optional()
      .describe(`${D.cacheKeyParameters} Replaces the stage’s list.`),
    requireAuthorization: fields.requireAuthorization.optional().describe(D.requireAuthorization + inherit),
    unauthorizedStrategy: fields.unauthorizedStrategy.optional().describe(D.unauthorizedStrategy + inherit),
    invalidators: fields.invalidators.optional().describe(D.invalidators + inherit),
    staleWhileRevalidateSeconds: fields.staleWhileRevalidateSeconds
      .optional()
      .describe(D.staleWhileRevalidateSeconds + inherit),
    staleIfErrorSeconds: fields.staleIfErrorSeconds.optional().describe(D.staleIfErrorSeconds + inherit),
    statuses: fields.statuses.optional().describe(D.statuses + inherit),
    maxEntryBytes: fields.maxEntryBytes.optional().describe(D.maxEntryBytes + inherit),
    perKey: fields.perKey.optional().describe(D.perKey + inherit),
    setCookie: fields.setCookie.optional().describe(D.setCookie + inherit),
    backendCacheControl: fields.backendCacheControl.optional().describe(D.backendCacheControl + inherit),
  })
  .describe(
    'Per-route overrides of the stage cache (AWS method settings); every field defaults to the stage’s. See docs/caching.md.',
  );

export type StageCacheConfig = z.infer<typeof stageCacheSchema>;
export type RouteCacheConfig = z.infer<typeof routeCacheSchema>;
/** The settings one route uses in one stage. */
export type EffectiveCacheConfig = Omit<StageCacheConfig, 'capacityMB'>;

/** Spread into the stage schema (src/config/schema.ts). */
export const cacheStageFields = { cache: stageCacheSchema.optional() };
/** Spread into the route schema (src/config/schema.ts). */
export const cacheRouteFields = { cache: routeCacheSchema.optional() };

const STAGE_DEFAULTS = stageCacheSchema.parse({});

export function stageCacheConfig(stage: { cache?: StageCacheConfig | undefined }): StageCacheConfig {
  return stage.cache ?? STAGE_DEFAULTS;
}

/** The stage's settings with the route's overrides applied. */
export function effectiveCacheConfig(
  stage: StageCacheConfig,
  route: RouteCacheConfig | undefined,
): EffectiveCacheConfig {
  const { capacityMB: _capacity, ...base } = stage;
  if (!route) return base;
  const out: EffectiveCacheConfig = { ...base };
  for (const [k, v] of Object.entries(route)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The cache's config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const CACHE_CONFIG = { route: cacheRouteFields, stage: cacheStageFields } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface RouteFeatureFields extends Fields<typeof cacheRouteFields> {}
  interface StageFeatureFields extends Fields<typeof cacheStageFields> {}
}
