import type { AuthImportOptions } from './authorizers.js';
import { CfnAccess } from './cfn-access.js';
import { conditionHolds, type EvalContext, evaluate, hasUnresolved, parseTemplate } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';
import { escapeEnvRefs, importOpenApi, mapGatewayResponse, mapIntegrationObject, type MapEnv } from './openapi.js';
import { type CodeResolver, collectFunctions, functionEnv, type InlineCodeWriter, LAMBDA_TYPES, reportUnusedMappings } from './functions.js';
import { ImportReport, pointer } from './report.js';
import { expandSam, remapPointers } from './sam.js';
import { fromWafv2Json } from '../waf/aws-import.js';
import { cleanName, importKeysAndPlans, mapStageSettings, samUsagePlanResources } from './keys-plans.js';

/**
 * CloudFormation / SAM template → Portico config (a pure function over the template text).
 * REST: AWS::ApiGateway::RestApi (incl. Body → the OpenAPI importer), Resource, Method, Deployment,
 * Stage, BasePathMapping, GatewayResponse. HTTP: AWS::ApiGatewayV2::Api (incl. quick create Target
 * and Body), Route, Integration, Stage, VpcLink. Authorizers, request validators, models, API key source,
 * CORS and binary media types: cfn-access.ts. Lambda targets (AWS::Lambda::*, functions.ts) and SAM
 * (expanded first, sam.ts). Everything else that concerns an API is reported
 * by resource; resources that are not about APIs (EC2, IAM, ...) are ignored and counted.
 */

export interface CfnImportOptions extends AuthImportOptions {
  /** Template parameters and Fn::ImportValue exports, as `--param Name=value`. */
  params?: Readonly<Record<string, string>>;
  /** Resource attributes the template can't know, e.g. `EC2Instance.PublicDnsName=127.0.0.1`. */
  resources?: Readonly<Record<string, string>>;
  /** VPC link id (logical id of an AWS::ApiGatewayV2::VpcLink / AWS::ApiGateway::VpcLink, or its physical id) → URL. */
  vpcLinks?: Readonly<Record<string, string>>;
  /** Lambda function (logical id, name or ARN) → `MODULE#EXPORT` of a local handler. */
  functions?: Readonly<Record<string, string>>;
  /** Finds local code of functions with CodeUri/Code + Handler (the CLI looks under --code-root). */
  resolveCode?: CodeResolver;
  /** Saves inline function code (SAM InlineCode, Code.ZipFile) as a module (the CLI writes it next to --out). */
  writeInlineCode?: InlineCodeWriter;
}

export interface CfnImportResult {
  /** Our config; `apis` is empty when the template defines no API Gateway API. */
  config: Json;
  report: ImportReport;
  /** Resource types present but not about APIs, with counts (ignored by design). */
  ignored: Record<string, number>;
  /** Environment variables the config reads API key values from, which the template could not give (PORTICO_KEY_*). */
  env: string[];
}

type Resource = { Type: string; Properties: Json; Condition?: string };

const HANDLED = new Set([
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::BasePathMapping',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Stage',
  'AWS::ApiGatewayV2::VpcLink',
  'AWS::ApiGateway::VpcLink',
  'AWS::WAFv2::WebACL',
  'AWS::WAFv2::WebACLAssociation',
  'AWS::WAFv2::IPSet',
  'AWS::WAFv2::RegexPatternSet',
  'AWS::ApiGateway::Authorizer',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::Model',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::ApiGatewayV2::ApiGatewayManagedOverrides',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  ...LAMBDA_TYPES,
]);

/** API resources we know of but do not map yet, with the reason given in the report. */
const PENDING: Record<string, string> = {
  'AWS::ApiGatewayV2::ApiMapping': 'API mappings are not mapped yet',
  'AWS::ApiGateway::DomainName': 'custom domains: use apis[].hosts',
  'AWS::ApiGatewayV2::DomainName': 'custom domains: use apis[].hosts',
};

interface ApiBuild {
  logical: string;
  api: Json;
  routes: Json[];
  stages: Record<string, Json>;
}

export function importCloudFormation(text: string, opts: CfnImportOptions = {}): CfnImportResult {
  const report = new ImportReport();
  const parsed = parseTemplate(text);
  // SAM Auth.UsagePlan: the UsagePlan/ApiKey/UsagePlanKey resources SAM would generate, read before the expansion.
  const samPlans = samUsagePlanResources(parsed, (v) => evaluate(v, { template: parsed, params: opts.params ?? {}, attributes: opts.resources ?? {}, missing: new Set() }));
  const sam = expandSam(parsed, report);
  const template = sam.template;
  const ctx: EvalContext = { template, params: opts.params ?? {}, attributes: opts.resources ?? {}, missing: new Set() };
  const resources: Record<string, Resource> = {};
  const ignored: Record<string, number> = {};
  for (const [id, raw] of Object.entries(template.Resources as Json)) {
    if (!isObj(raw) || typeof raw.Type !== 'string') continue;
    if (typeof raw.Condition === 'string' && !conditionHolds(ctx, raw.Condition)) continue;
    const type = raw.Type;
    if (!HANDLED.has(type)) {
      if (type in PENDING) report.unsupported(pointer('Resources', id), type, PENDING[type] as string);
      else ignored[type] = (ignored[type] ?? 0) + 1;
      continue;
    }
    resources[id] = { Type: type, Properties: isObj(raw.Properties) ? raw.Properties : {} };
  }
  for (const [id, r] of Object.entries(samPlans.resources)) resources[id] ??= r;
  const byType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
  // Each resource is evaluated with its own record of what it could not resolve.
  const missingOf = new Map<string, Set<string>>();
  const props = (id: string) => {
    const missing = new Set<string>();
    missingOf.set(id, missing);
    return evaluate(resources[id]?.Properties ?? {}, { ...ctx, missing }) as Json;
  };
  const missingFor = (id: string) => [...(missingOf.get(id) ?? [])].join('; ');
  const upstreams: Record<string, { targets: { url: string }[] }> = {};
  const functions = functionEnv(opts.functions);
  collectFunctions(LAMBDA_TYPES.flatMap((t) => byType(t).map(([id]) => [id, t, props(id)] as [string, string, Json])), functions, opts, report);
  const mapEnv: MapEnv = { upstreams, vpcLinks: opts.vpcLinks ?? {}, functions };
  const builds: ApiBuild[] = [];
  const auth: AuthImportOptions = { authorizerFunctions: opts.authorizerFunctions ?? {}, jwks: opts.jwks ?? {} };
  const access = new CfnAccess(byType, props, missingFor, report, auth);

  // --- REST APIs ---------------------------------------------------------------------------------
  for (const [id] of byType('AWS::ApiGateway::RestApi')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const name = cleanName(p.Name, id);
    let build: ApiBuild = { logical: id, api: { name, type: 'rest' }, routes: [], stages: {} };
    if (isObj(p.Body)) {
      const sub = importOpenApi(p.Body, { type: 'rest', name, vpcLinks: opts.vpcLinks ?? {}, functionEnv: functions, ...auth });
      for (const n of sub.report.notes) report.notes.push({ ...n, pointer: `${at}/Body${n.pointer}` });
      const api = (sub.config.apis as Json[])[0] as Json;
      Object.assign(upstreams, sub.config.upstreams ?? {});
      build = { logical: id, api: { ...api, stages: undefined }, routes: api.routes as Json[], stages: {} };
    } else if (p.BodyS3Location !== undefined) {
      report.unsupported(`${at}/BodyS3Location`, 'BodyS3Location', 'download the definition and pass it as Body (or import it with `portico import openapi`)');
    }
    for (const key of ['Policy', 'MinimumCompressionSize']) {
      if (p[key] !== undefined) report.unsupported(`${at}/${key}`, key, 'not mapped yet');
    }
    access.restApi(build, p, at);
    builds.push(build);
  }
  const restBuild = (apiRef: unknown) => builds.find((b) => b.logical === apiRef && b.api.type === 'rest');
  access.restDefinitions(restBuild);

  // Resource tree → paths.
  const resourcePath = (resId: string, seen = new Set<string>()): string | undefined => {
    if (resId.endsWith('#root')) return '';
    const r = resources[resId];
    if (!r || r.Type !== 'AWS::ApiGateway::Resource' || seen.has(resId)) return undefined;
    seen.add(resId);
    const p = props(resId);
    const parent = resourcePath(String(p.ParentId), seen);
    return parent === undefined ? undefined : `${parent}/${String(p.PathPart)}`;
  };

  for (const [id] of byType('AWS::ApiGateway::Method')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const build = restBuild(p.RestApiId);
    if (!build) {
      report.unsupported(`${at}/RestApiId`, 'AWS::ApiGateway::Method', `RestApiId does not name a RestApi in this template; method left out`);
      continue;
    }
    const path = resourcePath(String(p.ResourceId));
    if (path === undefined) {
      report.unsupported(`${at}/ResourceId`, 'AWS::ApiGateway::Method', `cannot resolve the resource path of ${String(p.ResourceId)}; method left out`);
      continue;
    }
    const method = String(p.HttpMethod ?? '').toUpperCase();
    const integ = isObj(p.Integration) ? cfnIntegrationToExtension(p.Integration) : undefined;
    if (!integ) {
      report.unsupported(at, 'AWS::ApiGateway::Method', 'no Integration; method left out');
      continue;
    }
    if (hasUnresolved(integ)) {
      report.unsupported(`${at}/Integration`, 'Integration', `depends on values the template can't know: ${missingFor(id)}; method left out`);
      continue;
    }
    const before = report.notes.length;
    const route: Json = { route: `${method} ${path || '/'}` };
    route.integration = mapIntegrationObject(integ, `${at}/Integration`, at, report, { ...mapEnv, apiType: 'rest' }, route);
    renameNoteKeys(report, before, `${at}/Integration`, CFN_KEY);
    if (!route.integration) continue;
    const extra = access.method(build, p, at);
    if (extra) build.routes.push(Object.assign(route, extra));
  }

  for (const [id] of byType('AWS::ApiGateway::Deployment')) {
    const p = props(id);
    const build = restBuild(p.RestApiId);
    if (build && typeof p.StageName === 'string') {
      build.stages[p.StageName] ??= stageFrom(p.StageDescription, pointer('Resources', id, 'Properties', 'StageDescription'), report, build.routes);
    }
  }
  for (const [id] of byType('AWS::ApiGateway::Stage')) {
    const p = props(id);
    const build = restBuild(p.RestApiId);
    if (build && typeof p.StageName === 'string') build.stages[p.StageName] = stageFrom(p, pointer('Resources', id, 'Properties'), report, build.routes);
  }
  for (const [id] of byType('AWS::ApiGateway::BasePathMapping')) {
    const p = props(id);
    const build = restBuild(p.RestApiId);
    if (!build) continue;
    if (typeof p.BasePath === 'string' && p.BasePath && p.BasePath !== '(none)') build.api.basePath = `/${p.BasePath.replace(/^\/+/, '')}`;
    if (typeof p.DomainName === 'string' && !hasUnresolved(p.DomainName)) build.api.hosts = [p.DomainName];
  }
  for (const [id] of byType('AWS::ApiGateway::GatewayResponse')) {
    const p = props(id);
    const build = restBuild(p.RestApiId);
    if (!build || typeof p.ResponseType !== 'string') continue;
    const at = pointer('Resources', id, 'Properties');
    const responses = (build.api.gatewayResponses ??= {}) as Json;
    responses[p.ResponseType] = mapGatewayResponse(
      { statusCode: p.StatusCode, responseParameters: p.ResponseParameters, responseTemplates: p.ResponseTemplates },
      at,
      report,
    );
  }

  // --- HTTP APIs ---------------------------------------------------------------------------------
  const integrations = new Map<string, Json>();
  for (const [id] of byType('AWS::ApiGatewayV2::Api')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    if (p.ProtocolType !== undefined && p.ProtocolType !== 'HTTP') {
      report.unsupported(`${at}/ProtocolType`, 'ProtocolType', `${String(p.ProtocolType)} APIs are not supported`);
      continue;
    }
    const name = cleanName(p.Name, id);
    const build: ApiBuild = { logical: id, api: { name, type: 'http' }, routes: [], stages: {} };
    if (isObj(p.Body)) {
      const sub = importOpenApi(p.Body, { type: 'http', name, vpcLinks: opts.vpcLinks ?? {}, functionEnv: functions, ...auth });
      for (const n of sub.report.notes) report.notes.push({ ...n, pointer: `${at}/Body${n.pointer}` });
      const subApi = (sub.config.apis as Json[])[0] as Json;
      build.routes.push(...(subApi.routes as Json[]));
      access.bodyFields(build, subApi);
    }
    if (p.Target !== undefined) {
      // Quick create: a $default route to the target and an auto-deployed $default stage.
      const target = String(p.Target);
      const integration = /^https?:\/\//.test(target)
        ? { type: 'http_proxy', uri: target }
        : mapIntegrationObject({ type: 'aws_proxy', uri: target, payloadFormatVersion: '2.0' }, `${at}/Target`, at, report, { ...mapEnv, apiType: 'http' });
      if (integration) build.routes.push({ route: p.RouteKey ?? '$default', integration });
      build.stages.$default = {};
    }
    access.httpApi(build, p, at);
    builds.push(build);
  }
  const httpBuild = (apiRef: unknown) => builds.find((b) => b.logical === apiRef && b.api.type === 'http');
  access.httpDefinitions(httpBuild);
  for (const [id] of byType('AWS::ApiGatewayV2::Integration')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const type = String(p.IntegrationType ?? '').toUpperCase();
    const ext: Json = {
      type: type === 'AWS_PROXY' ? 'aws_proxy' : type === 'HTTP_PROXY' ? 'http_proxy' : type.toLowerCase(),
      uri: p.IntegrationUri,
      httpMethod: p.IntegrationMethod,
      connectionType: p.ConnectionType,
      connectionId: p.ConnectionId,
      timeoutInMillis: p.TimeoutInMillis,
      payloadFormatVersion: p.PayloadFormatVersion === undefined ? undefined : String(p.PayloadFormatVersion),
      requestParameters: p.RequestParameters,
    };
    if (p.ResponseParameters !== undefined) report.unsupported(`${at}/ResponseParameters`, 'ResponseParameters', 'response parameter mapping is not supported; the backend response passes through');
    if (hasUnresolved(ext)) {
      report.unsupported(at, 'AWS::ApiGatewayV2::Integration', `depends on values the template can't know: ${missingFor(id)}`);
      continue;
    }
    const before = report.notes.length;
    const mapped = mapIntegrationObject(ext, at, at, report, { ...mapEnv, apiType: 'http' });
    renameNoteKeys(report, before, at, V2_KEY);
    if (mapped) integrations.set(id, mapped);
  }
  for (const [id] of byType('AWS::ApiGatewayV2::Route')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const build = httpBuild(p.ApiId);
    if (!build) continue;
    const target = typeof p.Target === 'string' ? /^integrations\/(.+)$/.exec(p.Target)?.[1] : undefined;
    const integration = target ? integrations.get(target) : undefined;
    if (!integration) {
      report.unsupported(`${at}/Target`, 'Route', `target ${String(p.Target)} is not an imported integration; route left out`);
      continue;
    }
    const extra = access.route(build, p, at);
    if (extra) build.routes.push({ route: String(p.RouteKey), integration, ...extra });
  }
  for (const [id] of byType('AWS::ApiGatewayV2::Stage')) {
    const p = props(id);
    const build = httpBuild(p.ApiId);
    if (!build || typeof p.StageName !== 'string') continue;
    const at = pointer('Resources', id, 'Properties');
    const stage: Json = {};
    if (isObj(p.StageVariables)) stage.variables = stringValues(p.StageVariables);
    for (const key of ['DefaultRouteSettings', 'RouteSettings', 'AccessLogSettings']) {
      if (p[key] !== undefined) report.unsupported(`${at}/${key}`, key, 'not mapped yet');
    }
    build.stages[p.StageName] = stage;
  }

  access.overrides(httpBuild);

  // --- WAF (AWS::WAFv2::*) ---------------------------------------------------------------------------
  const waf = importWaf(byType, props, resources, builds, report);

  const keysPlans = importKeysAndPlans({ byType, props, resources, builds, report, origins: samPlans.origins });

  // --- assemble ------------------------------------------------------------------------------------
  const apis: Json[] = [];
  const mounts = new Set<string>();
  for (const b of builds) {
    const stages = Object.keys(b.stages).length ? b.stages : { [b.api.type === 'http' ? '$default' : 'prod']: {} };
    if (!Object.keys(b.stages).length) report.approximated(pointer('Resources', b.logical), 'stages', `no stage or deployment in the template; created ${Object.keys(stages)[0]}`);
    const api: Json = { ...b.api, stages, routes: b.routes };
    if (api.stages === undefined) delete api.stages;
    // Two APIs mounted at the same place would clash; AWS tells them apart by their own hostnames.
    const mountKeys = Object.keys(stages).map((s) => `${String(api.hosts ?? '')}|${String(api.basePath ?? '/')}|${s}`);
    if (mountKeys.some((k) => mounts.has(k))) {
      api.basePath = `/${String(api.name)}`;
      report.approximated(pointer('Resources', b.logical), 'mount', `another API serves the same stage path; this one is mounted under basePath /${String(api.name)}`);
    }
    for (const s of Object.keys(stages)) mounts.add(`${String(api.hosts ?? '')}|${String(api.basePath ?? '/')}|${s}`);
    apis.push(api);
  }
  if (apis.length === 0) {
    const links = Object.keys(resources).filter((id) => /VpcLink$/.test(resources[id]?.Type ?? ''));
    report.unsupported(
      '',
      'template',
      links.length
        ? `no API here, only VPC link(s) ${links.join(', ')} used by another stack's API: import that stack with --vpc-link`
        : `no AWS::ApiGateway::RestApi or AWS::ApiGatewayV2::Api here (resource types: ${Object.keys(ignored).join(', ') || 'none'})`,
    );
  }
  const config: Json = { version: 1 };
  if (Object.keys(upstreams).length) config.upstreams = upstreams;
  config.apis = apis;
  Object.assign(config, waf);
  reportUnusedMappings(functions, report);
  remapPointers(report, sam.origins);
  const out = escapeEnvRefs(config) as Json;
  // Key values reference the environment on purpose (already escaped where literal).
  if (Object.keys(keysPlans.usagePlans).length) out.usagePlans = escapeEnvRefs(keysPlans.usagePlans);
  if (Object.keys(keysPlans.apiKeys).length) out.apiKeys = keysPlans.apiKeys;
  return { config: out, report, ignored, env: keysPlans.env };
}

const CFN_KEY: Record<string, string> = {
  type: 'Type',
  uri: 'Uri',
  httpMethod: 'IntegrationHttpMethod',
  requestParameters: 'RequestParameters',
  requestTemplates: 'RequestTemplates',
  timeoutInMillis: 'TimeoutInMillis',
  connectionType: 'ConnectionType',
  connectionId: 'ConnectionId',
  cacheKeyParameters: 'CacheKeyParameters',
  cacheNamespace: 'CacheNamespace',
  contentHandling: 'ContentHandling',
  credentials: 'Credentials',
  responses: 'IntegrationResponses',
};

const V2_KEY: Record<string, string> = {
  type: 'IntegrationType',
  uri: 'IntegrationUri',
  httpMethod: 'IntegrationMethod',
  connectionType: 'ConnectionType',
  connectionId: 'ConnectionId',
  timeoutInMillis: 'TimeoutInMillis',
  payloadFormatVersion: 'PayloadFormatVersion',
  requestParameters: 'RequestParameters',
};

/** Notes name x-amazon-apigateway-integration keys; point the ones added since `from` at the template's own. */
function renameNoteKeys(report: ImportReport, from: number, prefix: string, keys: Record<string, string>): void {
  for (const n of report.notes.slice(from)) {
    if (!n.pointer.startsWith(`${prefix}/`)) continue;
    const rest = n.pointer.slice(prefix.length + 1);
    const [first = '', ...tail] = rest.split('/');
    if (keys[first]) n.pointer = [prefix, keys[first], ...tail].join('/');
  }
}

/** AWS::ApiGateway::Method Integration (PascalCase) → x-amazon-apigateway-integration form. */
function cfnIntegrationToExtension(i: Json): Json {
  return {
    type: String(i.Type ?? '').toLowerCase(),
    uri: i.Uri,
    httpMethod: i.IntegrationHttpMethod,
    requestParameters: i.RequestParameters,
    requestTemplates: i.RequestTemplates,
    passthroughBehavior: i.PassthroughBehavior,
    timeoutInMillis: i.TimeoutInMillis,
    connectionType: i.ConnectionType,
    connectionId: i.ConnectionId,
    cacheKeyParameters: i.CacheKeyParameters,
    cacheNamespace: i.CacheNamespace,
    contentHandling: i.ContentHandling,
    credentials: i.Credentials,
    responses: Array.isArray(i.IntegrationResponses)
      ? Object.fromEntries(
          (i.IntegrationResponses as Json[]).map((r) => [
            r.SelectionPattern ?? 'default',
            { statusCode: r.StatusCode, responseParameters: r.ResponseParameters, responseTemplates: r.ResponseTemplates },
          ]),
        )
      : undefined,
  };
}

function stageFrom(p: unknown, at: string, report: ImportReport, routes: Json[]): Json {
  const stage: Json = {};
  if (!isObj(p)) return stage;
  if (isObj(p.Variables)) stage.variables = stringValues(p.Variables);
  mapStageSettings(stage, p, routes, at, report);
  for (const key of ['AccessLogSetting', 'CanarySetting']) {
    if (p[key] !== undefined) report.unsupported(`${at}/${key}`, key, 'not mapped yet');
  }
  return stage;
}

function stringValues(o: Json): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
}

/** Names usable under wafAcls / wafIpSets / wafRegexPatternSets. */
function wafName(name: unknown, fallback: string): string {
  const n = typeof name === 'string' ? name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[^A-Za-z0-9]+|-+$/g, '').slice(0, 128) : '';
  return n || fallback;
}

/**
 * IP sets and regex pattern sets become wafIpSets / wafRegexPatternSets, web ACLs wafAcls (through
 * the WAF's own fromWafv2Json), and a WebACLAssociation to a REST API stage sets that stage's `waf`.
 */
function importWaf(
  byType: (t: string) => [string, Resource][],
  props: (id: string) => Json,
  resources: Record<string, Resource>,
  builds: ApiBuild[],
  report: ImportReport,
): Json {
  const out: Json = {};
  const setNames: Record<string, string> = {};
  const ipSets: Json = {};
  for (const [id] of byType('AWS::WAFv2::IPSet')) {
    const p = props(id);
    const name = wafName(p.Name, id);
    // Our evaluator gives GetAtt X.Arn as arn:aws:resource:::X; a real ARN names the set by its Name.
    setNames[`arn:aws:resource:::${id}`] = name;
    ipSets[name] = { addresses: Array.isArray(p.Addresses) ? p.Addresses.map(String) : [] };
  }
  const regexSets: Json = {};
  for (const [id] of byType('AWS::WAFv2::RegexPatternSet')) {
    const p = props(id);
    const name = wafName(p.Name, id);
    setNames[`arn:aws:resource:::${id}`] = name;
    const list = Array.isArray(p.RegularExpressionList) ? p.RegularExpressionList : [];
    regexSets[name] = { regularExpressionList: list.map((r) => ({ regexString: String(r) })) };
  }
  const acls: Json = {};
  const aclByArn = new Map<string, string>();
  for (const [id] of byType('AWS::WAFv2::WebACL')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const name = wafName(p.Name, id);
    try {
      const { acl, report: r } = fromWafv2Json(p, { setNames });
      acls[name] = acl;
      aclByArn.set(`arn:aws:resource:::${id}`, name);
      for (const g of r.unsupportedManagedGroups) report.unsupported(`${at}/Rules`, 'managed rule group', `${g} is not mirrored; its rules were left out`);
      for (const n of r.notes) report.approximated(`${at}/Rules`, 'WAF rule', n);
    } catch (err) {
      report.unsupported(at, 'AWS::WAFv2::WebACL', `${(err as Error).message}; web ACL left out`);
    }
  }
  for (const [id] of byType('AWS::WAFv2::WebACLAssociation')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const acl = aclByArn.get(String(p.WebACLArn));
    const m = /\/restapis\/([^/]+)\/stages\/([^/]+)$/.exec(String(p.ResourceArn));
    const build = m ? builds.find((b) => b.logical === m[1] && b.api.type === 'rest') : undefined;
    if (!acl || !m || !build) {
      report.unsupported(at, 'AWS::WAFv2::WebACLAssociation', 'only associations of a web ACL in this template with a REST API stage in this template are imported');
      continue;
    }
    // Ref of an AWS::ApiGateway::Stage is its stage name; our evaluator gives its logical id.
    const stageRes = resources[m[2] as string];
    const stageName = stageRes?.Type === 'AWS::ApiGateway::Stage' ? String(props(m[2] as string).StageName) : (m[2] as string);
    const stage = build.stages[stageName];
    if (!stage) {
      report.unsupported(`${at}/ResourceArn`, 'AWS::WAFv2::WebACLAssociation', `API ${build.logical} has no stage "${stageName}"`);
      continue;
    }
    stage.waf = acl;
  }
  if (Object.keys(acls).length) out.wafAcls = acls;
  if (Object.keys(ipSets).length) out.wafIpSets = ipSets;
  if (Object.keys(regexSets).length) out.wafRegexPatternSets = regexSets;
  return out;
}
