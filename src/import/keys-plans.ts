import { hasUnresolved } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';
import { escapeEnvRefs } from './openapi.js';
import { type ImportReport, pointer } from './report.js';
import { KEY_VALUE_RE, sharedStage } from '../keys/schema.js';

/**
 * CloudFormation → Portico for API keys, usage plans and stage method settings:
 * AWS::ApiGateway::ApiKey → apiKeys, UsagePlan → usagePlans, UsagePlanKey → a key's usagePlans,
 * and a Stage's (or a Deployment's StageDescription's) MethodSettings / cache cluster → the stage's
 * routeThrottle and cache plus route cache overrides. SAM AWS::Serverless::Api Auth.UsagePlan is
 * expanded into the resources SAM itself would generate. Hooked into cloudformation.ts.
 */

/** What cloudformation.ts knows of an API it built. */
export interface ApiBuildView {
  logical: string;
  api: Json;
  routes: Json[];
  stages: Record<string, Json>;
}

type Resource = { Type: string; Properties: Json };

export interface KeysPlansEnv {
  /** Resources synthesised from SAM (samUsagePlanResources): their notes point at the SAM property instead. */
  origins?: Readonly<Record<string, string>>;
  byType(t: string): [string, Resource][];
  props(id: string): Json;
  resources: Record<string, Resource>;
  builds: ApiBuildView[];
  report: ImportReport;
}

export interface KeysPlansResult {
  usagePlans: Json;
  apiKeys: Json;
  /** Environment variables the config reads key values from (none has a value yet). */
  env: string[];
}

const AWS_DEFAULT_RATE = 10_000;
const AWS_DEFAULT_BURST = 5_000;

// --- stage settings ---------------------------------------------------------------------------------

/** "/~1pets~1{id}" (CloudFormation's encoding) or "/pets/{id}" → "/pets/{id}"; "/" → "/". */
function decodeResourcePath(p: unknown): string {
  const s = typeof p === 'string' && p ? p : '/*';
  return s.includes('~1') ? s.slice(1).replaceAll('~1', '/').replaceAll('~0', '~') || '/' : s;
}

function routeParts(r: Json): { method: string; path: string } | undefined {
  const m = /^([A-Z]+) (\/\S*)$/.exec(String(r.route));
  return m ? { method: m[1] as string, path: m[2] as string } : undefined;
}

/** The "/path/METHOD" key of routeThrottle and usage plan throttles ("//GET" for GET /). */
const overrideKey = (p: { method: string; path: string }) => `${p.path}/${p.method}`;

const truthy = (v: unknown) => v === true || v === 'true';
const num = (v: unknown): number | undefined => (v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));

/** {RateLimit|ThrottlingRateLimit, BurstLimit|ThrottlingBurstLimit} → {rate, burst}; AWS's stage defaults fill a missing half. */
function bucket(rate: unknown, burst: unknown, at: string, report: ImportReport, what: string): Json | undefined {
  const r = num(rate);
  const b = num(burst);
  if (r === undefined && b === undefined) return undefined;
  if (r === 0 || b === 0) {
    report.unsupported(at, what, 'a limit of 0 (refuse every request) is not supported; left out');
    return undefined;
  }
  if (r === undefined || b === undefined) {
    report.approximated(at, what, `only ${r === undefined ? 'the burst' : 'the rate'} is set; the other is AWS's default (${AWS_DEFAULT_RATE} rps, burst ${AWS_DEFAULT_BURST})`);
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
    if (limit) for (const t of targets) if (t.k && (wildcard ? !(overrideKey(t.k) in throttle) : true)) throttle[overrideKey(t.k)] = limit;
    const enabled = ms.CachingEnabled === undefined ? undefined : truthy(ms.CachingEnabled);
    const ttl = num(ms.CacheTtlInSeconds);
    if (ttl !== undefined && (ttl < 0 || ttl > 3600)) report.unsupported(`${msAt}/CacheTtlInSeconds`, 'CacheTtlInSeconds', `expected 0-3600 seconds, got ${ttl}; left out`);
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
    for (const [key, why] of Object.entries(UNMAPPED_METHOD_SETTINGS)) if (ms[key] !== undefined) report.unsupported(`${msAt}/${key}`, key, why);
    if (ms.RequireAuthorizationForCacheControl !== undefined || ms.UnauthorizedCacheControlHeaderStrategy !== undefined) {
      const c = wildcard ? ((stage.cache ??= {}) as Json) : undefined;
      const apply = (o: Json) => {
        if (ms.RequireAuthorizationForCacheControl !== undefined) o.requireAuthorization = truthy(ms.RequireAuthorizationForCacheControl);
        if (typeof ms.UnauthorizedCacheControlHeaderStrategy === 'string') o.unauthorizedStrategy = ms.UnauthorizedCacheControlHeaderStrategy;
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
    const targets = parts.filter((t) => t.k && (path === '/*' || t.k.path === path) && (method === '*' || t.k.method === method));
    if (!targets.length) {
      report.unsupported(msAt, 'MethodSettings', `no imported method matches ResourcePath ${path} HttpMethod ${method}; left out`);
      continue;
    }
    settle(ms, msAt, targets, false);
  }

  if (Object.keys(throttle).length) stage.routeThrottle = { ...((stage.routeThrottle as Json | undefined) ?? {}), ...throttle };
  const wantsCache = caching.enabled || [...perRoute.values()].some((c) => c.enabled === true);
  if (wantsCache && !cluster) {
    report.approximated(`${at}/CacheClusterEnabled`, 'CachingEnabled', 'caching is enabled but CacheClusterEnabled is not: AWS caches nothing without a cache cluster, and neither does the import');
  }
  if (cluster) {
    const cache = (stage.cache ??= {}) as Json;
    cache.enabled = caching.enabled ?? false;
    if (caching.ttl !== undefined) cache.ttlSeconds = caching.ttl;
    const size = num(p.CacheClusterSize);
    if (size !== undefined) {
      cache.capacityMB = Math.round(size * 1024);
      report.approximated(`${at}/CacheClusterSize`, 'CacheClusterSize', `${size} GB becomes the stage cache's memory budget (capacityMB ${cache.capacityMB}, least recently used entries evicted)`);
    }
    for (const [r, c] of perRoute) {
      const prev = r.cache as Json | undefined;
      if (prev && JSON.stringify(prev) !== JSON.stringify(c)) {
        report.approximated(at, 'MethodSettings', `${String(r.route)}: route cache settings apply to every stage of the API; another stage's differ and were replaced`);
      }
      r.cache = c;
    }
  }
}

const UNMAPPED_METHOD_SETTINGS: Record<string, string> = {
  LoggingLevel: 'CloudWatch execution logging: use the access log (docs/observability.md)',
  DataTraceEnabled: 'CloudWatch execution logging: use the access log (docs/observability.md)',
  MetricsEnabled: 'detailed CloudWatch metrics: Portico always exports per-route Prometheus metrics',
  CacheDataEncrypted: 'cache entries are not encrypted at rest (memory or Redis)',
};

// --- keys and plans ---------------------------------------------------------------------------------

const NAME_RE = /[^A-Za-z0-9_.-]+/g;
/** A config name from a template's Name (an API, plan or key): safe characters, at most 128; else `fallback` (unresolved or empty). */
export function cleanName(name: unknown, fallback: string): string {
  const n = typeof name === 'string' && !hasUnresolved(name) ? name.replace(NAME_RE, '-').replace(/^[^A-Za-z0-9]+|-+$/g, '').slice(0, 128) : '';
  return n || fallback;
}

/** PORTICO_KEY_<NAME>: the environment variable a key's value is read from. */
export function keyEnvName(name: string): string {
  return `PORTICO_KEY_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

/**
 * Stand-in values for key variables nobody has set yet, so an imported config can be validated and
 * compiled before it is written (each distinct: declared values must be unique).
 */
export function placeholderKeyEnv(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n, i) => [n, `portico-import-placeholder-${String(i).padStart(4, '0')}`]));
}

/** A unique name: the wanted one, else suffixed with the logical id. */
function unique(taken: Set<string>, wanted: string, logical: string): string {
  const name = taken.has(wanted) ? cleanName(`${wanted}-${logical}`, logical) : wanted;
  taken.add(name);
  return name;
}

/** An API stage reference (ApiId + Stage name, or Ref of an AWS::ApiGateway::Stage) → "api/stage" of an imported REST API. */
function stageRef(env: KeysPlansEnv, apiId: unknown, stage: unknown): { ref: string; build: ApiBuildView } | { error: string } {
  const build = env.builds.find((b) => b.logical === apiId && b.api.type === 'rest');
  if (!build) return { error: `${String(apiId)} is not an imported REST API` };
  const res = typeof stage === 'string' ? env.resources[stage] : undefined;
  const name = res?.Type === 'AWS::ApiGateway::Stage' ? String(env.props(stage as string).StageName) : String(stage);
  if (!(name in build.stages)) return { error: `API ${build.logical} has no stage "${name}"` };
  return { ref: `${String(build.api.name)}/${name}`, build };
}

export function importKeysAndPlans(env: KeysPlansEnv): KeysPlansResult {
  const from = env.report.notes.length;
  const result = keysAndPlans(env);
  for (const n of env.report.notes.slice(from)) {
    const id = /^\/Resources\/([^/]+)/.exec(n.pointer)?.[1];
    const origin = id === undefined ? undefined : env.origins?.[id];
    if (origin !== undefined) n.pointer = origin;
  }
  return result;
}

function keysAndPlans(env: KeysPlansEnv): KeysPlansResult {
  const { report } = env;
  const usagePlans: Json = {};
  const planByLogical = new Map<string, string>();
  const planNames = new Set<string>();
  for (const [id] of env.byType('AWS::ApiGateway::UsagePlan')) {
    const p = env.props(id);
    const at = pointer('Resources', id, 'Properties');
    const stages: Json = {};
    (Array.isArray(p.ApiStages) ? p.ApiStages : []).forEach((s: unknown, i: number) => {
      if (!isObj(s)) return;
      const sAt = `${at}/ApiStages/${i}`;
      const found = stageRef(env, s.ApiId, s.Stage);
      if ('error' in found) {
        report.unsupported(sAt, 'ApiStages', `${found.error}; stage left out of the plan`);
        return;
      }
      const known = new Set(found.build.routes.map(routeParts).filter((k) => k !== undefined).map(overrideKey));
      const throttle: Json = {};
      for (const [key, lim] of Object.entries(isObj(s.Throttle) ? s.Throttle : {})) {
        const kAt = `${sAt}/Throttle/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (!known.has(key)) {
          report.unsupported(kAt, 'ApiStages Throttle', `no imported method is "${key}" (expected "/path/METHOD"); left out`);
          continue;
        }
        const b = isObj(lim) ? bucket(lim.RateLimit, lim.BurstLimit, kAt, report, 'ApiStages Throttle') : undefined;
        if (b) throttle[key] = b;
      }
      stages[found.ref] = Object.keys(throttle).length ? { throttle } : {};
      if (!found.build.routes.some((r) => r.apiKeyRequired === true)) {
        report.approximated(sAt, 'ApiStages', `no method of ${found.ref} requires an API key (ApiKeyRequired), so, as on AWS, the plan's limits never apply there`);
      }
    });
    if (!Object.keys(stages).length) {
      report.unsupported(at, 'AWS::ApiGateway::UsagePlan', 'covers no imported API stage; plan left out');
      continue;
    }
    const name = unique(planNames, cleanName(p.UsagePlanName, id), id);
    const plan: Json = { stages };
    if (typeof p.Description === 'string' && p.Description) plan.description = p.Description;
    const t = isObj(p.Throttle) ? bucket(p.Throttle.RateLimit, p.Throttle.BurstLimit, `${at}/Throttle`, report, 'Throttle') : undefined;
    if (t) plan.throttle = t;
    if (isObj(p.Quota)) {
      const q = quota(p.Quota, `${at}/Quota`, report);
      if (q) plan.quota = q;
    }
    usagePlans[name] = plan;
    planByLogical.set(id, name);
  }

  const apiKeys: Json = {};
  const keyByLogical = new Map<string, string>();
  const keyNames = new Set<string>();
  const envNames: string[] = [];
  for (const [id] of env.byType('AWS::ApiGateway::ApiKey')) {
    const p = env.props(id);
    const at = pointer('Resources', id, 'Properties');
    const name = unique(keyNames, cleanName(p.Name, id), id);
    const key: Json = {};
    const literal = typeof p.Value === 'string' && !hasUnresolved(p.Value) ? p.Value : undefined;
    if (literal !== undefined && KEY_VALUE_RE.test(literal)) {
      key.value = escapeEnvRefs(literal);
      report.approximated(`${at}/Value`, 'Value', `the key's value is now in the config file; better keep it in an environment variable: value: \${${keyEnvName(name)}}`);
    } else {
      const v = keyEnvName(name);
      key.value = `\${${v}}`;
      envNames.push(v);
      const why = literal !== undefined
        ? 'the template\'s Value is not 20-128 printable characters without spaces (AWS refuses it too)'
        : p.Value !== undefined ? 'the template\'s Value depends on something the template can\'t know' : 'the template has no Value (AWS generates one)';
      report.approximated(p.Value === undefined ? pointer('Resources', id) : `${at}/Value`, 'Value', `${why}: set ${v} to the key's value before \`portico start\``);
    }
    if (p.Enabled === undefined) report.approximated(pointer('Resources', id), 'Enabled', 'not set: AWS creates the key disabled, so it is imported with enabled: false');
    key.enabled = truthy(p.Enabled);
    if (typeof p.Description === 'string' && p.Description) key.description = escapeEnvRefs(p.Description.slice(0, 1024));
    key.usagePlans = [];
    for (const k of ['CustomerId']) if (p[k] !== undefined) report.unsupported(`${at}/${k}`, k, 'AWS Marketplace customers are not supported');
    apiKeys[name] = key;
    keyByLogical.set(id, name);
  }

  const addToPlan = (keyName: string, plan: string, at: string): void => {
    const key = apiKeys[keyName] as Json;
    const list = key.usagePlans as string[];
    if (list.includes(plan)) return;
    const clash = list.find((o) => sharedStage(usagePlans[plan] as { stages: Json }, usagePlans[o] as { stages: Json }));
    if (clash) {
      report.unsupported(at, 'AWS::ApiGateway::UsagePlanKey', `usage plans "${clash}" and "${plan}" both cover a stage; a key may be in one plan per stage (AWS refuses this too); left out`);
      return;
    }
    list.push(plan);
  };
  for (const [id] of env.byType('AWS::ApiGateway::UsagePlanKey')) {
    const p = env.props(id);
    const at = pointer('Resources', id, 'Properties');
    const keyName = keyByLogical.get(String(p.KeyId));
    const plan = planByLogical.get(String(p.UsagePlanId));
    if (p.KeyType !== undefined && p.KeyType !== 'API_KEY') report.unsupported(`${at}/KeyType`, 'KeyType', `${String(p.KeyType)}: only API_KEY exists`);
    else if (!keyName || !plan) {
      report.unsupported(at, 'AWS::ApiGateway::UsagePlanKey', `${!keyName ? `KeyId ${String(p.KeyId)} is not an imported API key` : `UsagePlanId ${String(p.UsagePlanId)} is not an imported usage plan`}; left out`);
    } else addToPlan(keyName, plan, at);
  }

  // StageKeys (AWS's way before usage plans): a key not in a plan covering that stage gets a plan without limits for it.
  for (const [id] of env.byType('AWS::ApiGateway::ApiKey')) {
    const p = env.props(id);
    const keyName = keyByLogical.get(id) as string;
    (Array.isArray(p.StageKeys) ? p.StageKeys : []).forEach((sk: unknown, i: number) => {
      if (!isObj(sk)) return;
      const at = pointer('Resources', id, 'Properties', 'StageKeys', i);
      const found = stageRef(env, sk.RestApiId, sk.StageName);
      if ('error' in found) {
        report.unsupported(at, 'StageKeys', `${found.error}; left out`);
        return;
      }
      const covered = ((apiKeys[keyName] as Json).usagePlans as string[]).some((pl) => found.ref in ((usagePlans[pl] as Json).stages as Json));
      if (covered) return;
      const plan = unique(planNames, cleanName(`stagekeys-${found.ref.replace('/', '-')}`, 'stagekeys'), id);
      usagePlans[plan] ??= { description: `StageKeys of API keys for ${found.ref}`, stages: { [found.ref]: {} } };
      addToPlan(keyName, plan, at);
      report.approximated(at, 'StageKeys', `mapped to usage plan "${plan}" (no limits) covering ${found.ref}, so the key works there as a stage key did`);
    });
  }
  return { usagePlans, apiKeys, env: envNames };
}

function quota(q: Json, at: string, report: ImportReport): Json | undefined {
  const limit = num(q.Limit);
  const period = String(q.Period ?? '').toUpperCase();
  const offset = num(q.Offset) ?? 0;
  const max = period === 'DAY' ? 0 : period === 'WEEK' ? 6 : period === 'MONTH' ? 27 : -1;
  if (limit === undefined || limit < 0 || !Number.isInteger(limit) || max < 0 || offset < 0 || offset > max) {
    report.unsupported(at, 'Quota', `expected Limit (a whole number), Period DAY, WEEK or MONTH and Offset 0-${Math.max(max, 0)}; quota left out`);
    return undefined;
  }
  return offset ? { limit, period, offset } : { limit, period };
}

// --- SAM ---------------------------------------------------------------------------------------------

/**
 * SAM AWS::Serverless::Api Auth.UsagePlan (with Globals.Api.Auth.UsagePlan) → the UsagePlan, ApiKey
 * and UsagePlanKey resources the SAM translator generates, under its logical ids:
 * PER_API → <Api>UsagePlan / <Api>ApiKey / <Api>UsagePlanKey; SHARED → ServerlessUsagePlan /
 * ServerlessApiKey / ServerlessUsagePlanKey across the APIs that share it; NONE → nothing. The API
 * itself (and its stage) is imported by the SAM API support; a plan of an API not imported is reported.
 */
export function samUsagePlanResources(
  template: Json,
  evaluate: (v: unknown) => unknown,
): { resources: Record<string, Resource>; origins: Record<string, string> } {
  const out: Record<string, Resource> = {};
  const origins: Record<string, string> = {};
  const globals = isObj(template.Globals) && isObj(template.Globals.Api) && isObj(template.Globals.Api.Auth) ? template.Globals.Api.Auth : {};
  const globalPlan = isObj(globals.UsagePlan) ? (evaluate(globals.UsagePlan) as Json) : undefined;
  const shared: Json[] = [];
  for (const [id, raw] of Object.entries(template.Resources as Json)) {
    if (!isObj(raw) || raw.Type !== 'AWS::Serverless::Api' || !isObj(raw.Properties)) continue;
    const p = raw.Properties;
    const own = isObj(p.Auth) && isObj(p.Auth.UsagePlan) ? (evaluate(p.Auth.UsagePlan) as Json) : undefined;
    const plan = { ...(globalPlan ?? {}), ...(own ?? {}) };
    const mode = String(plan.CreateUsagePlan ?? 'NONE').toUpperCase();
    const stage = { ApiId: id, Stage: evaluate(p.StageName) };
    if (mode === 'SHARED') shared.push(stage);
    if (mode !== 'PER_API') continue;
    out[`${id}UsagePlan`] = {
      Type: 'AWS::ApiGateway::UsagePlan',
      Properties: { ApiStages: [stage], UsagePlanName: plan.UsagePlanName, Description: plan.Description, Throttle: plan.Throttle, Quota: plan.Quota },
    };
    out[`${id}ApiKey`] = { Type: 'AWS::ApiGateway::ApiKey', Properties: { Enabled: true } };
    out[`${id}UsagePlanKey`] = { Type: 'AWS::ApiGateway::UsagePlanKey', Properties: { KeyId: `${id}ApiKey`, KeyType: 'API_KEY', UsagePlanId: `${id}UsagePlan` } };
    const at = own ? pointer('Resources', id, 'Properties', 'Auth', 'UsagePlan') : pointer('Globals', 'Api', 'Auth', 'UsagePlan');
    for (const suffix of ['UsagePlan', 'ApiKey', 'UsagePlanKey']) origins[`${id}${suffix}`] = at;
  }
  if (shared.length) {
    const g = globalPlan ?? {};
    out.ServerlessUsagePlan = {
      Type: 'AWS::ApiGateway::UsagePlan',
      Properties: { ApiStages: shared, UsagePlanName: g.UsagePlanName, Description: g.Description, Throttle: g.Throttle, Quota: g.Quota },
    };
    out.ServerlessApiKey = { Type: 'AWS::ApiGateway::ApiKey', Properties: { Enabled: true } };
    out.ServerlessUsagePlanKey = { Type: 'AWS::ApiGateway::UsagePlanKey', Properties: { KeyId: 'ServerlessApiKey', KeyType: 'API_KEY', UsagePlanId: 'ServerlessUsagePlan' } };
    for (const id of ['ServerlessUsagePlan', 'ServerlessApiKey', 'ServerlessUsagePlanKey']) origins[id] = pointer('Globals', 'Api', 'Auth', 'UsagePlan');
  }
  return { resources: out, origins };
}
