import { type ApiBuild, type CfnScope, type FindBuild, renameNoteKeys, stringValues } from './cfn-scope.js';
import { hasUnresolved } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';
import { cleanName } from './keys-plans.js';
import { importOpenApi, mapIntegrationObject } from './openapi.js';
import { pointer } from './report.js';

/**
 * HTTP APIs of a CloudFormation template: AWS::ApiGatewayV2::Api (incl. quick create Target and Body),
 * Integration, Route and Stage; then ApiGatewayManagedOverrides (cfn-access.ts).
 */
export function importHttpApis(s: CfnScope): void {
  importHttpApiResources(s);
  const httpBuild: FindBuild = (apiRef) => s.builds.find((b) => b.logical === apiRef && b.api.type === 'http');
  s.access.httpDefinitions(httpBuild);
  const integrations = importHttpIntegrations(s);
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
function importHttpIntegrations(s: CfnScope): Map<string, Json> {
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
    if (hasUnresolved(ext)) {
      report.unsupported(
        at,
        'AWS::ApiGatewayV2::Integration',
        `depends on values the template can't know: ${missingFor(id)}`,
      );
      continue;
    }
    const before = report.notes.length;
    const mapped = mapIntegrationObject(ext, at, at, report, { ...mapEnv, apiType: 'http' });
    renameNoteKeys(report, before, at, V2_KEY);
    if (mapped) integrations.set(id, mapped);
  }
  return integrations;
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
