import { CfnAccess } from './cfn-access.js';
import { ELB_TYPES, importLoadBalancers } from './cfn-elb.js';
import { importHttpApis } from './cfn-http.js';
import { conditionHolds, type EvalContext, evaluate, parseTemplate } from './cfn-intrinsics.js';
import { importRestApis } from './cfn-rest.js';
import type { ApiBuild, CfnImportOptions, CfnImportResult, CfnScope, Resource } from './cfn-scope.js';
import { importWaf } from './cfn-waf.js';
import { collectFunctions, functionEnv, LAMBDA_TYPES, reportUnusedMappings } from './functions.js';
import { isObj, type Json } from './json.js';
import { importKeysAndPlans } from './keys-plans.js';
import { samUsagePlanResources } from './sam-usage-plans.js';
import { escapeEnvRefs, type MapEnv } from './openapi.js';
import { ImportReport, pointer } from './report.js';
import { expandSam, remapPointers } from './sam.js';
import type { AuthImportOptions } from './authorizers.js';

export type { CfnImportOptions, CfnImportResult } from './cfn-scope.js';

/**
 * CloudFormation / SAM template → Portico config (a pure function over the template text).
 * REST: AWS::ApiGateway::RestApi (incl. Body → the OpenAPI importer), Resource, Method, Deployment,
 * Stage, BasePathMapping, GatewayResponse. HTTP: AWS::ApiGatewayV2::Api (incl. quick create Target
 * and Body), Route, Integration, Stage, VpcLink. Authorizers, request validators, models, API key source,
 * CORS and binary media types: cfn-access.ts. REST: cfn-rest.ts, HTTP: cfn-http.ts, WAF: cfn-waf.ts. Lambda targets (AWS::Lambda::*, functions.ts) and SAM
 * (expanded first, sam.ts). Everything else that concerns an API is reported
 * by resource; resources that are not about APIs (EC2, IAM, ...) are ignored and counted.
 */

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
  ...ELB_TYPES,
]);

/** API resources we know of but do not map yet, with the reason given in the report. */
const PENDING: Record<string, string> = {
  'AWS::ApiGatewayV2::ApiMapping': 'API mappings are not mapped yet',
  'AWS::ApiGateway::DomainName': 'custom domains: use apis[].hosts',
  'AWS::ApiGatewayV2::DomainName': 'custom domains: use apis[].hosts',
};

export function importCloudFormation(text: string, opts: CfnImportOptions = {}): CfnImportResult {
  return importTemplate(parseTemplate(text), opts);
}

/** Cross-stack values of templates imported together (cfn-stacks.ts). */
export interface StackLinks {
  exports: Record<string, unknown>;
  linked: Record<string, unknown>;
}

/** A parsed template (or several merged by cfn-stacks.ts) → Portico config. */
export function importTemplate(parsed: Json, opts: CfnImportOptions = {}, links?: StackLinks): CfnImportResult {
  const report = new ImportReport();
  // SAM Auth.UsagePlan: the UsagePlan/ApiKey/UsagePlanKey resources SAM would generate, read before the expansion.
  const samPlans = samUsagePlanResources(parsed, (v) =>
    evaluate(v, {
      template: parsed,
      params: opts.params ?? {},
      attributes: opts.resources ?? {},
      missing: new Set(),
      ...(links ? { exports: links.exports, linked: links.linked } : {}),
    }),
  );
  const sam = expandSam(parsed, report);
  const template = sam.template;
  const ctx: EvalContext = {
    template,
    params: opts.params ?? {},
    attributes: opts.resources ?? {},
    missing: new Set(),
    ...(links ? { exports: links.exports, linked: links.linked } : {}),
  };
  const { resources, ignored } = collectResources(template, ctx, report);
  for (const [id, r] of Object.entries(samPlans.resources)) resources[id] ??= r;
  const byType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
  // Each resource is evaluated with its own record of what it could not resolve.
  const missingOf = new Map<string, Set<string>>();
  const props = (id: string) => {
    const missing = new Set<string>();
    missingOf.set(id, missing);
    return hostWithPort(
      evaluate(resources[id]?.Properties ?? {}, { ...ctx, missing }),
      pointer('Resources', id, 'Properties'),
      report,
    ) as Json;
  };
  const missingFor = (id: string) => [...(missingOf.get(id) ?? [])].join('; ');
  const missingOfValue = (value: unknown) => {
    const missing = new Set<string>();
    evaluate(value, { ...ctx, missing });
    return [...missing].join('; ');
  };
  const upstreams: Record<string, { targets: { url: string }[] }> = {};
  const listeners: Record<string, Json> = {};
  const functions = functionEnv(opts.functions);
  collectFunctions(
    LAMBDA_TYPES.flatMap((t) => byType(t).map(([id]) => [id, t, props(id)] as [string, string, Json])),
    functions,
    opts,
    report,
  );
  const mapEnv: MapEnv = { upstreams, vpcLinks: opts.vpcLinks ?? {}, functions };
  const builds: ApiBuild[] = [];
  const auth: AuthImportOptions = { authorizerFunctions: opts.authorizerFunctions ?? {}, jwks: opts.jwks ?? {} };
  const access = new CfnAccess(byType, props, missingFor, report, auth);
  const s: CfnScope = {
    opts,
    report,
    resources,
    byType,
    props,
    missingFor,
    missingOf: missingOfValue,
    upstreams,
    listeners,
    functions,
    mapEnv,
    builds,
    auth,
    access,
  };
  const privateTargets = importLoadBalancers(s);
  importRestApis(s);
  importHttpApis(s, privateTargets);
  const waf = importWaf(byType, props, resources, builds, report);
  const keysPlans = importKeysAndPlans({ byType, props, resources, builds, report, origins: samPlans.origins });
  const config: Json = { version: 1 };
  if (Object.keys(upstreams).length) config.upstreams = upstreams;
  if (Object.keys(listeners).length) config.listeners = listeners;
  config.apis = assembleApis(builds, resources, ignored, report);
  Object.assign(config, waf);
  reportUnusedMappings(functions, report);
  remapPointers(report, sam.origins);
  const out = escapeEnvRefs(config) as Json;
  // Key values reference the environment on purpose (already escaped where literal).
  if (Object.keys(keysPlans.usagePlans).length) out.usagePlans = escapeEnvRefs(keysPlans.usagePlans);
  if (Object.keys(keysPlans.apiKeys).length) out.apiKeys = keysPlans.apiKeys;
  return { config: out, report, ignored, env: keysPlans.env };
}

/** The template's resources that concern APIs (with their conditions holding); the others counted by type. */
function collectResources(
  template: Json,
  ctx: EvalContext,
  report: ImportReport,
): { resources: Record<string, Resource>; ignored: Record<string, number> } {
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
  return { resources, ignored };
}

/** Builds → apis[], each with a stage and its own mount; reports a template without any API. */
function assembleApis(
  builds: ApiBuild[],
  resources: Record<string, Resource>,
  ignored: Record<string, number>,
  report: ImportReport,
): Json[] {
  const apis: Json[] = [];
  const mounts = new Set<string>();
  for (const b of builds) {
    const stages = Object.keys(b.stages).length ? b.stages : { [b.api.type === 'http' ? '$default' : 'prod']: {} };
    if (!Object.keys(b.stages).length)
      report.approximated(
        pointer('Resources', b.logical),
        'stages',
        `no stage or deployment in the template; created ${Object.keys(stages)[0]}`,
      );
    // Served as API Gateway serves it, `//` included (docs/routing.md#empty-segments).
    const api: Json = { ...b.api, emptySegments: 'aws', stages, routes: b.routes };
    if (api.stages === undefined) delete api.stages;
    // Two APIs mounted at the same place would clash; AWS tells them apart by their own hostnames.
    const mountKeys = Object.keys(stages).map((s) => `${String(api.hosts ?? '')}|${String(api.basePath ?? '/')}|${s}`);
    if (mountKeys.some((k) => mounts.has(k))) {
      api.basePath = `/${String(api.name)}`;
      report.approximated(
        pointer('Resources', b.logical),
        'mount',
        `another API serves the same stage path; this one is mounted under basePath /${String(api.name)}`,
      );
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
        ? `no API here, only VPC link(s) ${links.join(', ')} used by another stack's API: import that stack's template together with this one (portico import cloudformation API.json THIS.json)`
        : `no AWS::ApiGateway::RestApi or AWS::ApiGatewayV2::Api here (resource types: ${Object.keys(ignored).join(', ') || 'none'})`,
    );
  }
  return apis;
}

/**
 * "Host and port together": a value given as HOST:PORT (a --resource or --param) where the template adds
 * its own port (`http://${Host}:8080/`) keeps the given port; the template's is dropped, and said so.
 */
function hostWithPort(value: unknown, at: string, report: ImportReport): unknown {
  if (typeof value === 'string') {
    const m = /^(https?:\/\/(?:[^/:@\s]+|\[[0-9a-fA-F:.]+\]):(\d+)):(\d+)(?=[/?#]|$)/.exec(value);
    if (!m) return value;
    if (!report.notes.some((n) => n.pointer === at && n.feature === 'port'))
      report.approximated(
        at,
        'port',
        `the host was given with its port (${m[2]}); the template's port ${m[3]} is not used`,
      );
    return (m[1] as string) + value.slice(m[0].length);
  }
  if (Array.isArray(value)) return value.map((v, i) => hostWithPort(v, `${at}/${i}`, report));
  // Plain objects only: an Unresolved marker stays what it is.
  if (isObj(value) && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, hostWithPort(v, `${at}${pointer(k)}`, report)]),
    );
  return value;
}
