import { isObj, type Json } from './json.js';
import { type ImportReport, pointer } from './report.js';

/**
 * SAM (AWS::Serverless-2016-10-31) → plain CloudFormation, as the SAM translator does, so the
 * CloudFormation importer maps the result: AWS::Serverless::Api → AWS::ApiGateway::RestApi (its
 * DefinitionBody as Body) + Stage + GatewayResponses; AWS::Serverless::HttpApi →
 * AWS::ApiGatewayV2::Api + Stage; each Function event of type Api / HttpApi → an aws_proxy
 * operation in its API's Body (the implicit ServerlessRestApi, stage Prod, or ServerlessHttpApi,
 * $default, when the event names no API). `Globals` are merged first. Generated resources keep the
 * SAM logical id (or `Id.Stage`, ...); `origins` says where their notes point in the SAM template.
 */

/** [from, to, keepTail]: keepTail when what is under `to` has the same shape as under `from`. */
type Origin = [string, string, boolean];

export interface SamExpansion {
  template: Json;
  /** Pointer prefixes in the expanded template → pointers in the SAM template, longest first. */
  origins: Origin[];
}

const IMPLICIT_REST = 'ServerlessRestApi';
const IMPLICIT_HTTP = 'ServerlessHttpApi';
/** SAM Api properties that have no meaning outside AWS (or only for deployment). */
const API_IGNORED = new Set([
  'Name',
  'StageName',
  'DefinitionBody',
  'GatewayResponses',
  'Description',
  'Tags',
  'EndpointConfiguration',
  'TracingEnabled',
  'OpenApiVersion',
  'MergeDefinitions',
  'AlwaysDeploy',
  'PropagateTags',
  'FailOnWarnings',
  'DisableExecuteApiEndpoint',
]);
/** The two SAM API types: what they become, and the properties passed on under the same name (mapped or reported there). */
const REST = {
  sam: 'AWS::Serverless::Api',
  globals: 'Api',
  type: 'AWS::ApiGateway::RestApi',
  api: {},
  apiKeys: ['BinaryMediaTypes', 'MinimumCompressionSize', 'ApiKeySourceType'],
  stageType: 'AWS::ApiGateway::Stage',
  apiRef: 'RestApiId',
  stage: 'Prod',
  stageKeys: [
    'Variables',
    'MethodSettings',
    'CacheClusterEnabled',
    'CacheClusterSize',
    'AccessLogSetting',
    'CanarySetting',
  ],
};
const HTTP: typeof REST = {
  sam: 'AWS::Serverless::HttpApi',
  globals: 'HttpApi',
  type: 'AWS::ApiGatewayV2::Api',
  api: { ProtocolType: 'HTTP' },
  apiKeys: ['CorsConfiguration'],
  stageType: 'AWS::ApiGatewayV2::Stage',
  apiRef: 'ApiId',
  stage: '$default',
  stageKeys: ['StageVariables', 'DefaultRouteSettings', 'RouteSettings', 'AccessLogSettings'],
};

export function isSam(template: Json): boolean {
  const resources = isObj(template.Resources) ? template.Resources : {};
  return Object.values(resources).some(
    (r) => isObj(r) && typeof r.Type === 'string' && r.Type.startsWith('AWS::Serverless::'),
  );
}

/** Expands the SAM resources of a parsed template (the input is not changed). */
export function expandSam(input: Json, report: ImportReport): SamExpansion {
  if (!isSam(input)) return { template: input, origins: [] };
  const template = structuredClone(input);
  const resources = template.Resources as Json;
  const origins: Origin[] = [];
  const globals = isObj(template.Globals) ? template.Globals : {};
  const applyGlobals = (id: string, section: string) => {
    const r = resources[id] as Json;
    const g = globals[section];
    if (!isObj(g)) return;
    const p = (r.Properties = isObj(r.Properties) ? r.Properties : {});
    for (const [k, v] of Object.entries(g)) {
      if (p[k] === undefined)
        origins.push([pointer('Resources', id, 'Properties', k), pointer('Globals', section, k), true]);
      p[k] = mergeGlobal(v, p[k]);
    }
  };
  const ofType = (t: string) =>
    Object.keys(resources).filter((id) => isObj(resources[id]) && (resources[id] as Json).Type === t);
  for (const id of ofType('AWS::Serverless::Function')) applyGlobals(id, 'Function');
  const s: SamScope = { resources, origins, report, ofType, applyGlobals };

  // Implicit APIs, when an event names no API.
  const events: SamEvent[] = ofType('AWS::Serverless::Function').flatMap((fn) => {
    const p = ((resources[fn] as Json).Properties ?? {}) as Json;
    return Object.entries(isObj(p.Events) ? p.Events : {})
      .filter((e): e is [string, Json] => isObj(e[1]) && (e[1].Type === 'Api' || e[1].Type === 'HttpApi'))
      .map(([name, e]) => ({ fn, name, type: e.Type as string, props: isObj(e.Properties) ? e.Properties : {} }));
  });
  if (events.some((e) => e.type === 'Api' && e.props.RestApiId === undefined) && !resources[IMPLICIT_REST]) {
    resources[IMPLICIT_REST] = { Type: 'AWS::Serverless::Api', Properties: { StageName: 'Prod' } };
    origins.push([pointer('Resources', IMPLICIT_REST), '', false]);
  }
  if (events.some((e) => e.type === 'HttpApi' && e.props.ApiId === undefined) && !resources[IMPLICIT_HTTP]) {
    resources[IMPLICIT_HTTP] = { Type: 'AWS::Serverless::HttpApi', Properties: {} };
    origins.push([pointer('Resources', IMPLICIT_HTTP), '', false]);
  }
  const apiAuth = expandSamApis(s);
  // Function events → operations in their API's Body.
  for (const e of events) addEventOperation(s, e, apiAuth);
  origins.sort((a, b) => b[0].length - a[0].length);
  return { template, origins };
}

/** What the expansion steps share: the template's resources (changed in place) and where generated parts came from. */
interface SamScope {
  resources: Json;
  origins: Origin[];
  report: ImportReport;
  ofType(t: string): string[];
  applyGlobals(id: string, section: string): void;
}

/** An Api or HttpApi event of a SAM function. */
interface SamEvent {
  fn: string;
  name: string;
  type: string;
  props: Json;
}

/**
 * AWS::Serverless::Api / HttpApi → a RestApi / Api and its Stage (and GatewayResponses), after Globals.
 * Returns each SAM REST API's Auth, for its events' ApiKeyRequired default.
 */
function expandSamApis(s: SamScope): Map<string, Json> {
  const { resources, origins, report, ofType, applyGlobals } = s;
  const apiAuth = new Map<string, Json>();
  for (const kind of [REST, HTTP]) {
    for (const id of ofType(kind.sam)) {
      applyGlobals(id, kind.globals);
      const r = resources[id] as Json;
      const p = (isObj(r.Properties) ? r.Properties : {}) as Json;
      if (kind === REST && isObj(p.Auth)) apiAuth.set(id, p.Auth);
      const at = pointer('Resources', id, 'Properties');
      const api: Json = { Name: p.Name ?? id, ...kind.api };
      if (isObj(p.DefinitionBody)) {
        api.Body = p.DefinitionBody;
        origins.push([`${at}/Body`, `${at}/DefinitionBody`, true]);
      }
      for (const k of kind.apiKeys) if (p[k] !== undefined) api[k] = p[k];
      const stage: Json = { [kind.apiRef]: { Ref: id }, StageName: p.StageName ?? kind.stage };
      for (const k of kind.stageKeys) if (p[k] !== undefined) stage[k] = p[k];
      resources[`${id}.Stage`] = { Type: kind.stageType, Properties: stage, ...conditionOf(r) };
      origins.push(
        [pointer('Resources', `${id}.Stage`, 'Properties'), at, true],
        [pointer('Resources', `${id}.Stage`), at, false],
      );
      for (const [type, g] of Object.entries(kind === REST && isObj(p.GatewayResponses) ? p.GatewayResponses : {})) {
        if (!isObj(g)) continue;
        const gid = `${id}.GatewayResponse.${type}`;
        resources[gid] = { Type: 'AWS::ApiGateway::GatewayResponse', Properties: gatewayResponse(id, type, g) };
        origins.push([pointer('Resources', gid), `${at}${pointer('GatewayResponses', type)}`, false]);
      }
      reportApiKeys(p, at, kind.apiKeys.concat(kind.stageKeys), report);
      resources[id] = { Type: kind.type, Properties: api, ...conditionOf(r) };
    }
  }
  return apiAuth;
}

/** A function event → an operation (with its Lambda integration) in its API's Body. */
function addEventOperation(s: SamScope, e: SamEvent, apiAuth: Map<string, Json>): void {
  const { resources, origins, report } = s;
  const at = pointer('Resources', e.fn, 'Properties', 'Events', e.name);
  const rest = e.type === 'Api';
  const ref = rest ? e.props.RestApiId : e.props.ApiId;
  const apiId =
    ref === undefined
      ? rest
        ? IMPLICIT_REST
        : IMPLICIT_HTTP
      : isObj(ref) && typeof ref.Ref === 'string'
        ? ref.Ref
        : undefined;
  const api = apiId ? (resources[apiId] as Json | undefined) : undefined;
  if (!api || api.Type !== (rest ? 'AWS::ApiGateway::RestApi' : 'AWS::ApiGatewayV2::Api')) {
    report.unsupported(
      `${at}/Properties/${rest ? 'RestApiId' : 'ApiId'}`,
      `${e.type} event`,
      `must name an AWS::Serverless::${rest ? 'Api' : 'HttpApi'} of this template with !Ref; event left out`,
    );
    const key = `${String(e.props.Method ?? 'ANY').toUpperCase()} ${String(e.props.Path ?? '/')}`;
    report.leaveOut(key, at, report.notes.length - 1);
    return;
  }
  const props = api.Properties as Json;
  const body = (props.Body = isObj(props.Body)
    ? props.Body
    : rest
      ? { swagger: '2.0', info: { title: apiId, version: '1.0' }, paths: {} }
      : { openapi: '3.0.1', info: { title: apiId, version: '1.0' }, paths: {} });
  const paths = (body.paths = isObj(body.paths) ? body.paths : {}) as Json;
  const isDefault = !rest && e.props.Path === undefined && e.props.Method === undefined;
  const path = isDefault ? '/$default' : String(e.props.Path ?? '/');
  const method = String(e.props.Method ?? 'any').toLowerCase();
  const key = method === 'any' ? 'x-amazon-apigateway-any-method' : method;
  const item = (paths[path] = isObj(paths[path]) ? paths[path] : {}) as Json;
  const op = (item[key] = isObj(item[key]) ? item[key] : {}) as Json;
  if (isDefault) op.isDefaultRoute = true;
  const integration: Json = {
    type: 'aws_proxy',
    httpMethod: 'POST',
    uri: {
      'Fn::Sub': `arn:\${AWS::Partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${e.fn}.Arn}/invocations`,
    },
  };
  if (!rest) integration.payloadFormatVersion = String(e.props.PayloadFormatVersion ?? '2.0');
  if (e.props.TimeoutInMillis !== undefined) integration.timeoutInMillis = e.props.TimeoutInMillis;
  const cacheKeys = rest ? requestParameters(e.props.RequestParameters, op) : [];
  if (cacheKeys.length) integration.cacheKeyParameters = cacheKeys;
  op['x-amazon-apigateway-integration'] ??= integration;
  const eventAuth = isObj(e.props.Auth) ? e.props.Auth : {};
  if (rest && (eventAuth.ApiKeyRequired ?? apiAuth.get(apiId as string)?.ApiKeyRequired) === true)
    requireApiKey(body, op);
  origins.push([pointer('Resources', apiId as string, 'Properties', 'Body', 'paths', path, key), at, false]);
  for (const k of Object.keys(e.props)) {
    if (
      ['Path', 'Method', 'RestApiId', 'ApiId', 'PayloadFormatVersion', 'TimeoutInMillis', 'RequestParameters'].includes(
        k,
      )
    )
      continue;
    if (k === 'Auth' && isObj(e.props.Auth)) {
      // ApiKeyRequired is mapped (above); authorizers and resource policies are not.
      for (const a of Object.keys(e.props.Auth)) {
        if (a !== 'ApiKeyRequired')
          report.unsupported(
            `${at}/Properties/Auth/${a}`,
            `${e.type} event Auth.${a}`,
            'SAM event authorizers and resource policies are not mapped yet',
          );
      }
      continue;
    }
    report.unsupported(`${at}/Properties/${k}`, `${e.type} event ${k}`, 'not mapped yet');
  }
}

/** Points notes about generated resources back at the SAM template. */
export function remapPointers(report: ImportReport, origins: Origin[]): void {
  if (!origins.length) return;
  for (const n of report.notes) {
    // Twice: a stage setting maps to the SAM API's property, which may come from Globals.
    for (let pass = 0; pass < 2; pass++) {
      const hit = origins.find(([from]) => n.pointer === from || n.pointer.startsWith(`${from}/`));
      if (!hit) break;
      const [from, to, keepTail] = hit;
      n.pointer = keepTail ? to + n.pointer.slice(from.length) : to;
    }
  }
  // A Globals setting inherited by several APIs is one note.
  const seen = new Set<string>();
  const unique = report.notes.filter((n) => {
    const k = `${n.level}|${n.pointer}|${n.feature}|${n.reason}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
  report.notes.splice(0, report.notes.length, ...unique);
}

/** A Globals value under the resource's own: maps merge (the resource's keys win), anything else is the resource's. */
function mergeGlobal(global: unknown, own: unknown): unknown {
  if (own === undefined) return structuredClone(global);
  if (!isObj(global) || !isObj(own)) return own;
  const out: Json = { ...own };
  for (const [k, v] of Object.entries(global)) out[k] = mergeGlobal(v, own[k]);
  return out;
}

function conditionOf(r: Json): Json {
  return typeof r.Condition === 'string' ? { Condition: r.Condition } : {};
}

/** What the SAM translator adds for ApiKeyRequired: an `api_key` scheme (x-api-key header) on the operation. */
function requireApiKey(body: Json, op: Json): void {
  const scheme = { type: 'apiKey', name: 'x-api-key', in: 'header' };
  if (typeof body.openapi === 'string') {
    const components = (body.components = isObj(body.components) ? body.components : {}) as Json;
    const schemes = (components.securitySchemes = isObj(components.securitySchemes)
      ? components.securitySchemes
      : {}) as Json;
    schemes.api_key ??= scheme;
  } else {
    const defs = (body.securityDefinitions = isObj(body.securityDefinitions) ? body.securityDefinitions : {}) as Json;
    defs.api_key ??= scheme;
  }
  const security = Array.isArray(op.security) ? op.security : [];
  if (!security.some((r) => isObj(r) && 'api_key' in r)) op.security = [...security, { api_key: [] }];
}

function reportApiKeys(p: Json, at: string, passed: string[], report: ImportReport): void {
  for (const k of Object.keys(p)) {
    if (API_IGNORED.has(k) || passed.includes(k)) continue;
    if (k === 'Auth' && isObj(p.Auth)) {
      // UsagePlan (keys-plans.ts) and ApiKeyRequired (on the events' operations) are mapped.
      for (const a of Object.keys(p.Auth)) {
        if (a !== 'UsagePlan' && a !== 'ApiKeyRequired')
          report.unsupported(
            `${at}/Auth/${a}`,
            `Auth.${a}`,
            'SAM authorizers and resource policies are not mapped yet',
          );
      }
      continue;
    }
    const why =
      k === 'Auth'
        ? 'expected a mapping (ApiKeyRequired, UsagePlan, Authorizers, ...)'
        : k === 'Cors'
          ? 'SAM Cors (generated OPTIONS methods) is not mapped yet'
          : k === 'DefinitionUri'
            ? 'download the definition and inline it as DefinitionBody'
            : k === 'Domain'
              ? 'custom domains: use apis[].hosts'
              : 'not mapped yet';
    report.unsupported(`${at}/${k}`, k, why);
  }
}

/** SAM GatewayResponses entry → AWS::ApiGateway::GatewayResponse properties. */
function gatewayResponse(apiId: string, type: string, g: Json): Json {
  const params: Json = {};
  const rp = isObj(g.ResponseParameters) ? g.ResponseParameters : {};
  for (const [section, prefix] of [
    ['Headers', 'header'],
    ['Paths', 'path'],
    ['QueryStrings', 'querystring'],
  ] as const) {
    for (const [k, v] of Object.entries(isObj(rp[section]) ? rp[section] : {}))
      params[`gatewayresponse.${prefix}.${k}`] = v;
  }
  const out: Json = { RestApiId: { Ref: apiId }, ResponseType: type };
  if (g.StatusCode !== undefined) out.StatusCode = String(g.StatusCode);
  if (Object.keys(params).length) out.ResponseParameters = params;
  if (isObj(g.ResponseTemplates)) out.ResponseTemplates = g.ResponseTemplates;
  return out;
}

/**
 * SAM Api event RequestParameters (`method.request.header.X` or `{ name: { Required, Caching } }`)
 * → operation `parameters`, and the names with Caching: true as cacheKeyParameters.
 */
function requestParameters(list: unknown, op: Json): string[] {
  const keys: string[] = [];
  const params: Json[] = Array.isArray(op.parameters) ? (op.parameters as Json[]) : [];
  for (const entry of Array.isArray(list) ? list : []) {
    const [name, opts] =
      typeof entry === 'string' ? [entry, {}] : isObj(entry) ? (Object.entries(entry)[0] ?? ['', {}]) : ['', {}];
    const m = /^method\.request\.(header|querystring|path)\.(.+)$/.exec(String(name));
    if (!m) continue;
    const o = isObj(opts) ? opts : {};
    params.push({
      name: m[2],
      in: m[1] === 'querystring' ? 'query' : m[1],
      required: o.Required === true,
      type: 'string',
    });
    if (o.Caching === true) keys.push(String(name));
  }
  if (params.length) op.parameters = params;
  return keys;
}
