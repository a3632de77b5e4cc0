import { hasUnresolved } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';
import { escapeEnvRefs } from './openapi.js';
import { type ImportReport, pointer } from './report.js';
import { bucket, num, overrideKey, routeParts, truthy } from './stage-settings.js';
import { KEY_VALUE_RE, sharedStage } from '../api-keys/declared-keys.js';

/**
 * CloudFormation → Portico for API keys, usage plans and stage method settings:
 * AWS::ApiGateway::ApiKey → apiKeys, UsagePlan → usagePlans, UsagePlanKey → a key's usagePlans
 * (stage method settings: stage-settings.ts). SAM AWS::Serverless::Api Auth.UsagePlan is
 * expanded into the resources SAM itself would generate. Hooked into cloudformation.ts.
 */

/** What cloudformation.ts knows of an API it built. */
export interface ApiBuildView {
  logical: string;
  api: Json;
  routes: Json[];
  stages: Record<string, Json>;
}

export type Resource = { Type: string; Properties: Json };

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

const NAME_RE = /[^A-Za-z0-9_.-]+/g;
/** A config name from a template's Name (an API, plan or key): safe characters, at most 128; else `fallback` (unresolved or empty). */
export function cleanName(name: unknown, fallback: string): string {
  const n =
    typeof name === 'string' && !hasUnresolved(name)
      ? name
          .replace(NAME_RE, '-')
          .replace(/^[^A-Za-z0-9]+|-+$/g, '')
          .slice(0, 128)
      : '';
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
function stageRef(
  env: KeysPlansEnv,
  apiId: unknown,
  stage: unknown,
): { ref: string; build: ApiBuildView } | { error: string } {
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

/** What the steps below build, and the names they have handed out. */
interface KeysPlansState {
  usagePlans: Json;
  planByLogical: Map<string, string>;
  planNames: Set<string>;
  apiKeys: Json;
  keyByLogical: Map<string, string>;
  keyNames: Set<string>;
  envNames: string[];
}

function keysAndPlans(env: KeysPlansEnv): KeysPlansResult {
  const st: KeysPlansState = {
    usagePlans: {},
    planByLogical: new Map(),
    planNames: new Set(),
    apiKeys: {},
    keyByLogical: new Map(),
    keyNames: new Set(),
    envNames: [],
  };
  importUsagePlans(env, st);
  importApiKeys(env, st);
  importUsagePlanKeys(env, st);
  importStageKeys(env, st);
  return { usagePlans: st.usagePlans, apiKeys: st.apiKeys, env: st.envNames };
}

/** AWS::ApiGateway::UsagePlan → usagePlans (a plan covering no imported stage is left out). */
function importUsagePlans(env: KeysPlansEnv, st: KeysPlansState): void {
  const { report } = env;
  const { usagePlans, planByLogical, planNames } = st;
  for (const [id] of env.byType('AWS::ApiGateway::UsagePlan')) {
    const p = env.props(id);
    const at = pointer('Resources', id, 'Properties');
    const stages = planStages(env, p, at);
    if (!Object.keys(stages).length) {
      report.unsupported(at, 'AWS::ApiGateway::UsagePlan', 'covers no imported API stage; plan left out');
      continue;
    }
    const name = unique(planNames, cleanName(p.UsagePlanName, id), id);
    const plan: Json = { stages };
    if (typeof p.Description === 'string' && p.Description) plan.description = p.Description;
    const t = isObj(p.Throttle)
      ? bucket(p.Throttle.RateLimit, p.Throttle.BurstLimit, `${at}/Throttle`, report, 'Throttle')
      : undefined;
    if (t) plan.throttle = t;
    if (isObj(p.Quota)) {
      const q = quota(p.Quota, `${at}/Quota`, report);
      if (q) plan.quota = q;
    }
    usagePlans[name] = plan;
    planByLogical.set(id, name);
  }
}

/** A usage plan's ApiStages → its stages, with per-method throttles of imported methods. */
function planStages(env: KeysPlansEnv, p: Json, at: string): Json {
  const { report } = env;
  const stages: Json = {};
  (Array.isArray(p.ApiStages) ? p.ApiStages : []).forEach((s: unknown, i: number) => {
    if (!isObj(s)) return;
    const sAt = `${at}/ApiStages/${i}`;
    const found = stageRef(env, s.ApiId, s.Stage);
    if ('error' in found) {
      report.unsupported(sAt, 'ApiStages', `${found.error}; stage left out of the plan`);
      return;
    }
    const known = new Set(
      found.build.routes
        .map(routeParts)
        .filter((k) => k !== undefined)
        .map(overrideKey),
    );
    const throttle: Json = {};
    for (const [key, lim] of Object.entries(isObj(s.Throttle) ? s.Throttle : {})) {
      const kAt = `${sAt}/Throttle/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      if (!known.has(key)) {
        report.unsupported(
          kAt,
          'ApiStages Throttle',
          `no imported method is "${key}" (expected "/path/METHOD"); left out`,
        );
        continue;
      }
      const b = isObj(lim) ? bucket(lim.RateLimit, lim.BurstLimit, kAt, report, 'ApiStages Throttle') : undefined;
      if (b) throttle[key] = b;
    }
    stages[found.ref] = Object.keys(throttle).length ? { throttle } : {};
    if (!found.build.routes.some((r) => r.apiKeyRequired === true)) {
      report.approximated(
        sAt,
        'ApiStages',
        `no method of ${found.ref} requires an API key (ApiKeyRequired), so, as on AWS, the plan's limits never apply there`,
      );
    }
  });
  return stages;
}

/** AWS::ApiGateway::ApiKey → apiKeys: no Value → none (the gateway generates it), else literal or read from PORTICO_KEY_<NAME>. */
function importApiKeys(env: KeysPlansEnv, st: KeysPlansState): void {
  const { report } = env;
  const { apiKeys, keyByLogical, keyNames, envNames } = st;
  for (const [id] of env.byType('AWS::ApiGateway::ApiKey')) {
    const p = env.props(id);
    const at = pointer('Resources', id, 'Properties');
    const name = unique(keyNames, cleanName(p.Name, id), id);
    const key: Json = {};
    const literal = typeof p.Value === 'string' && !hasUnresolved(p.Value) ? p.Value : undefined;
    if (p.Value === undefined) {
      report.approximated(
        pointer('Resources', id),
        'Value',
        `the template has no Value: as AWS does, the gateway generates one when it first starts with this config, stores it hashed, and \`portico keys show cfg-${name}\` prints it once`,
      );
    } else if (literal !== undefined && KEY_VALUE_RE.test(literal)) {
      key.value = escapeEnvRefs(literal);
      report.approximated(
        `${at}/Value`,
        'Value',
        `the key's value is now in the config file; better keep it in an environment variable: value: \${${keyEnvName(name)}}`,
      );
    } else {
      const v = keyEnvName(name);
      key.value = `\${${v}}`;
      envNames.push(v);
      const why =
        literal !== undefined
          ? "the template's Value is not 20-128 printable characters without spaces (AWS refuses it too)"
          : "the template's Value depends on something the template can't know";
      report.approximated(`${at}/Value`, 'Value', `${why}: set ${v} to the key's value before \`portico start\``);
    }
    if (p.Enabled === undefined)
      report.approximated(
        pointer('Resources', id),
        'Enabled',
        'not set: AWS creates the key disabled, so it is imported with enabled: false',
      );
    key.enabled = truthy(p.Enabled);
    if (typeof p.Description === 'string' && p.Description)
      key.description = escapeEnvRefs(p.Description.slice(0, 1024));
    key.usagePlans = [];
    for (const k of ['CustomerId'])
      if (p[k] !== undefined) report.unsupported(`${at}/${k}`, k, 'AWS Marketplace customers are not supported');
    apiKeys[name] = key;
    keyByLogical.set(id, name);
  }
}

/** Puts a key in a plan, unless one of its plans already covers a stage of that plan. */
function addToPlan(report: ImportReport, st: KeysPlansState, keyName: string, plan: string, at: string): void {
  const { usagePlans, apiKeys } = st;
  const key = apiKeys[keyName] as Json;
  const list = key.usagePlans as string[];
  if (list.includes(plan)) return;
  const clash = list.find((o) => sharedStage(usagePlans[plan] as { stages: Json }, usagePlans[o] as { stages: Json }));
  if (clash) {
    report.unsupported(
      at,
      'AWS::ApiGateway::UsagePlanKey',
      `usage plans "${clash}" and "${plan}" both cover a stage; a key may be in one plan per stage (AWS refuses this too); left out`,
    );
    return;
  }
  list.push(plan);
}

/** AWS::ApiGateway::UsagePlanKey → a key's usagePlans. */
function importUsagePlanKeys(env: KeysPlansEnv, st: KeysPlansState): void {
  const { report } = env;
  const { planByLogical, keyByLogical } = st;
  for (const [id] of env.byType('AWS::ApiGateway::UsagePlanKey')) {
    const p = env.props(id);
    const at = pointer('Resources', id, 'Properties');
    const keyName = keyByLogical.get(String(p.KeyId));
    const plan = planByLogical.get(String(p.UsagePlanId));
    if (p.KeyType !== undefined && p.KeyType !== 'API_KEY')
      report.unsupported(`${at}/KeyType`, 'KeyType', `${String(p.KeyType)}: only API_KEY exists`);
    else if (!keyName || !plan) {
      report.unsupported(
        at,
        'AWS::ApiGateway::UsagePlanKey',
        `${!keyName ? `KeyId ${String(p.KeyId)} is not an imported API key` : `UsagePlanId ${String(p.UsagePlanId)} is not an imported usage plan`}; left out`,
      );
    } else addToPlan(report, st, keyName, plan, at);
  }
}

/** StageKeys (AWS's way before usage plans): a key not in a plan covering that stage gets a plan without limits for it. */
function importStageKeys(env: KeysPlansEnv, st: KeysPlansState): void {
  const { report } = env;
  const { usagePlans, apiKeys, planNames, keyByLogical } = st;
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
      const covered = ((apiKeys[keyName] as Json).usagePlans as string[]).some(
        (pl) => found.ref in ((usagePlans[pl] as Json).stages as Json),
      );
      if (covered) return;
      const plan = unique(planNames, cleanName(`stagekeys-${found.ref.replace('/', '-')}`, 'stagekeys'), id);
      usagePlans[plan] ??= { description: `StageKeys of API keys for ${found.ref}`, stages: { [found.ref]: {} } };
      addToPlan(report, st, keyName, plan, at);
      report.approximated(
        at,
        'StageKeys',
        `mapped to usage plan "${plan}" (no limits) covering ${found.ref}, so the key works there as a stage key did`,
      );
    });
  }
}

function quota(q: Json, at: string, report: ImportReport): Json | undefined {
  const limit = num(q.Limit);
  const period = String(q.Period ?? '').toUpperCase();
  const offset = num(q.Offset) ?? 0;
  const max = period === 'DAY' ? 0 : period === 'WEEK' ? 6 : period === 'MONTH' ? 27 : -1;
  if (limit === undefined || limit < 0 || !Number.isInteger(limit) || max < 0 || offset < 0 || offset > max) {
    report.unsupported(
      at,
      'Quota',
      `expected Limit (a whole number), Period DAY, WEEK or MONTH and Offset 0-${Math.max(max, 0)}; quota left out`,
    );
    return undefined;
  }
  return offset ? { limit, period, offset } : { limit, period };
}

// --- SAM ---------------------------------------------------------------------------------------------
