import { type ApiBuild, type CfnScope, type FindBuild, renameNoteKeys, stringValues } from './cfn-scope.js';
import type { PrivateTargets } from './cfn-elb.js';
import { hasUnresolved } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';
import { cleanName } from './keys-plans.js';
import { importOpenApi, mapIntegrationObject } from './openapi.js';
import { mapRequestParameters } from './parameters.js';
import { pointer } from './report.js';

/**
 * HTTP APIs of a CloudFormation template: AWS::ApiGatewayV2::Api (incl. quick create Target and Body),
 * Integration, Route and Stage; then ApiGatewayManagedOverrides (cfn-access.ts).
 */
export function importHttpApis(s: CfnScope, privateTargets: PrivateTargets): void {
  importHttpApiResources(s);
  const httpBuild: FindBuild = (apiRef) => s.builds.find((b) => b.logical === apiRef && b.api.type === 'http');
  s.access.httpDefinitions(httpBuild);
  const integrations = importHttpIntegrations(s, privateTargets);
  importHttpRoutes(s, httpBuild, integrations);
  importHttpStages(s, httpBuild);
  s.access.overrides(httpBuild);
}

/** AWS::ApiGatewayV2::Api → one build each (Body through the OpenAPI importer, quick create Target). */
function importHttpApiResources(s: CfnScope): void {
  const { opts, report, byType, props, functions, mapEnv, builds, auth, access } = s;
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
      const sub = importOpenApi(p.Body, {
        type: 'http',
        name,
        vpcLinks: opts.vpcLinks ?? {},
        functionEnv: functions,
        ...auth,
      });
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
        : mapIntegrationObject(
            { type: 'aws_proxy', uri: target, payloadFormatVersion: '2.0' },
            `${at}/Target`,
            at,
            report,
            { ...mapEnv, apiType: 'http' },
          );
      if (integration) build.routes.push({ route: p.RouteKey ?? '$default', integration });
      build.stages.$default = {};
    }
    access.httpApi(build, p, at);
    builds.push(build);
  }
}

/** AWS::ApiGatewayV2::Integration → mapped integrations by logical id. */
function importHttpIntegrations(s: CfnScope, privateTargets: PrivateTargets): Map<string, Json> {
  const { report, byType, props, missingFor, mapEnv } = s;
  const integrations = new Map<string, Json>();
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
    if (p.ResponseParameters !== undefined)
      report.unsupported(
        `${at}/ResponseParameters`,
        'ResponseParameters',
        'response parameter mapping is not supported; the backend response passes through',
      );
    if (String(p.ConnectionType ?? '').toUpperCase() === 'VPC_LINK') {
      const imported = privateIntegration(s, id, p, privateTargets);
      if (imported) {
        integrations.set(id, imported);
        continue;
      }
      // A listener or Cloud Map service ARN is not needed: the VPC link's target (--vpc-link) gets the path as is.
      if (hasUnresolved(ext.uri) && !hasUnresolved(ext.connectionId)) ext.uri = 'arn:aws:elasticloadbalancing:listener';
    }
    if (hasUnresolved(ext)) {
      const missing =
        hasUnresolved(ext.connectionId) && hasUnresolved(ext.uri) ? missingOutside(s, id) : missingFor(id);
      report.unsupported(at, 'AWS::ApiGatewayV2::Integration', `depends on values the template can't know: ${missing}`);
      continue;
    }
    const before = report.notes.length;
    const mapped = mapIntegrationObject(ext, at, at, report, { ...mapEnv, apiType: 'http' });
    renameNoteKeys(report, before, at, V2_KEY);
    if (mapped) integrations.set(id, mapped);
  }
  return integrations;
}

/**
 * A private integration (VPC link) whose IntegrationUri names an imported ALB listener or Cloud Map service:
 * the route goes to that listener (`listener:`) or upstream; the VPC link itself needs no target then.
 */
function privateIntegration(s: CfnScope, id: string, p: Json, t: PrivateTargets): Json | undefined {
  const uri = typeof p.IntegrationUri === 'string' ? p.IntegrationUri : '';
  const ref = /^arn:aws:resource:::(.+)$/.exec(uri)?.[1] ?? uri;
  const listener = t.listeners.get(ref);
  const upstream = listener ? undefined : t.services.get(ref);
  if (!listener && !upstream) return undefined;
  const at = pointer('Resources', id, 'Properties');
  const out: Json = { type: 'http_proxy', ...(listener ? { listener } : { upstream }) };
  if (typeof p.TimeoutInMillis === 'number') out.timeoutMs = Math.max(50, p.TimeoutInMillis);
  if (p.RequestParameters !== undefined) {
    const mapped = mapRequestParameters(p.RequestParameters, '', at, s.report);
    if (mapped.requestParameters) out.requestParameters = mapped.requestParameters;
  }
  s.report.mapped(
    at,
    'AWS::ApiGatewayV2::Integration',
    `VPC link to ${listener ? `load balancer listener ${ref}: listener ${listener}` : `Cloud Map service ${ref}: upstream ${String(upstream)}`}`,
  );
  return out;
}

/** What a VPC link integration lacks, without its IntegrationUri (a listener ARN is not needed). */
function missingOutside(s: CfnScope, id: string): string {
  const raw = s.resources[id]?.Properties ?? {};
  return s.missingOf(raw.ConnectionId) || s.missingFor(id);
}

/** AWS::ApiGatewayV2::Route → a route to an imported integration. */
function importHttpRoutes(s: CfnScope, httpBuild: FindBuild, integrations: Map<string, Json>): void {
  const { report, byType, props, access } = s;
  for (const [id] of byType('AWS::ApiGatewayV2::Route')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const build = httpBuild(p.ApiId);
    if (!build) continue;
    const from = report.notes.length;
    const target = typeof p.Target === 'string' ? /^integrations\/(.+)$/.exec(p.Target)?.[1] : undefined;
    const integration = target ? integrations.get(target) : undefined;
    if (!integration) {
      report.unsupported(
        `${at}/Target`,
        'Route',
        `target ${String(p.Target)} is not an imported integration; route left out`,
      );
      report.leaveOut(String(p.RouteKey), at, from);
      continue;
    }
    const extra = access.route(build, p, at);
    if (extra) build.routes.push({ route: String(p.RouteKey), integration, ...extra });
    else report.leaveOut(String(p.RouteKey), at, from);
  }
}

/** AWS::ApiGatewayV2::Stage → stages with their variables. */
function importHttpStages(s: CfnScope, httpBuild: FindBuild): void {
  const { report, byType, props } = s;
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
}

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
