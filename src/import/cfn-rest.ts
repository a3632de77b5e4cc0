import { type ApiBuild, type CfnScope, type FindBuild, renameNoteKeys, stringValues } from './cfn-scope.js';
import { hasUnresolved } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';
import { cleanName } from './keys-plans.js';
import { mapStageSettings } from './stage-settings.js';
import { importOpenApi, mapIntegrationObject } from './openapi.js';
import { mapGatewayResponse } from './openapi-extras.js';
import { type ImportReport, pointer } from './report.js';

/**
 * REST APIs of a CloudFormation template: AWS::ApiGateway::RestApi (incl. Body → the OpenAPI importer),
 * Resource, Method, Deployment, Stage, BasePathMapping and GatewayResponse.
 */
export function importRestApis(s: CfnScope): void {
  importRestApiResources(s);
  const restBuild: FindBuild = (apiRef) => s.builds.find((b) => b.logical === apiRef && b.api.type === 'rest');
  s.access.restDefinitions(restBuild);
  importRestMethods(s, restBuild);
  importRestStages(s, restBuild);
}

/** AWS::ApiGateway::RestApi → one build each (its Body through the OpenAPI importer). */
function importRestApiResources(s: CfnScope): void {
  const { opts, report, byType, props, upstreams, functions, builds, auth, access } = s;
  for (const [id] of byType('AWS::ApiGateway::RestApi')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const name = cleanName(p.Name, id);
    let build: ApiBuild = { logical: id, api: { name, type: 'rest' }, routes: [], stages: {} };
    if (isObj(p.Body)) {
      const sub = importOpenApi(p.Body, {
        type: 'rest',
        name,
        vpcLinks: opts.vpcLinks ?? {},
        functionEnv: functions,
        ...auth,
      });
      for (const n of sub.report.notes) report.notes.push({ ...n, pointer: `${at}/Body${n.pointer}` });
      const api = (sub.config.apis as Json[])[0] as Json;
      Object.assign(upstreams, sub.config.upstreams ?? {});
      build = { logical: id, api: { ...api, stages: undefined }, routes: api.routes as Json[], stages: {} };
    } else if (p.BodyS3Location !== undefined) {
      report.unsupported(
        `${at}/BodyS3Location`,
        'BodyS3Location',
        'download the definition and pass it as Body (or import it with `portico import openapi`)',
      );
    }
    for (const key of ['Policy', 'MinimumCompressionSize']) {
      if (p[key] !== undefined) report.unsupported(`${at}/${key}`, key, 'not mapped yet');
    }
    access.restApi(build, p, at);
    builds.push(build);
  }
}

/** AWS::ApiGateway::Method → routes; the Resource tree gives their paths. */
function importRestMethods(s: CfnScope, restBuild: FindBuild): void {
  const { report, resources, byType, props, missingFor, mapEnv, access } = s;
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
    const from = report.notes.length;
    const leaveOut = (route = id) => report.leaveOut(route, at, from);
    const build = restBuild(p.RestApiId);
    if (!build) {
      report.unsupported(
        `${at}/RestApiId`,
        'AWS::ApiGateway::Method',
        `RestApiId does not name a RestApi in this template; method left out`,
      );
      leaveOut();
      continue;
    }
    const path = resourcePath(String(p.ResourceId));
    if (path === undefined) {
      report.unsupported(
        `${at}/ResourceId`,
        'AWS::ApiGateway::Method',
        `cannot resolve the resource path of ${String(p.ResourceId)}; method left out`,
      );
      leaveOut();
      continue;
    }
    const method = String(p.HttpMethod ?? '').toUpperCase();
    const key = `${method} ${path || '/'}`;
    const integ = isObj(p.Integration) ? cfnIntegrationToExtension(p.Integration) : undefined;
    if (!integ) {
      report.unsupported(at, 'AWS::ApiGateway::Method', 'no Integration; method left out');
      leaveOut(key);
      continue;
    }
    if (hasUnresolved(integ)) {
      report.unsupported(
        `${at}/Integration`,
        'Integration',
        `depends on values the template can't know: ${missingFor(id)}; method left out`,
      );
      leaveOut(key);
      continue;
    }
    const before = report.notes.length;
    const route: Json = { route: key };
    route.integration = mapIntegrationObject(
      integ,
      `${at}/Integration`,
      at,
      report,
      { ...mapEnv, apiType: 'rest' },
      route,
    );
    renameNoteKeys(report, before, `${at}/Integration`, CFN_KEY);
    const extra = route.integration ? access.method(build, p, at) : undefined;
    if (extra) build.routes.push(Object.assign(route, extra));
    else leaveOut(key);
  }
}

/** Deployment and Stage → stages; BasePathMapping → basePath and hosts; GatewayResponse → gatewayResponses. */
function importRestStages(s: CfnScope, restBuild: FindBuild): void {
  const { report, byType, props } = s;
  for (const [id] of byType('AWS::ApiGateway::Deployment')) {
    const p = props(id);
    const build = restBuild(p.RestApiId);
    if (build && typeof p.StageName === 'string') {
      build.stages[p.StageName] ??= stageFrom(
        p.StageDescription,
        pointer('Resources', id, 'Properties', 'StageDescription'),
        report,
        build.routes,
      );
    }
  }
  for (const [id] of byType('AWS::ApiGateway::Stage')) {
    const p = props(id);
    const build = restBuild(p.RestApiId);
    if (build && typeof p.StageName === 'string')
      build.stages[p.StageName] = stageFrom(p, pointer('Resources', id, 'Properties'), report, build.routes);
  }
  for (const [id] of byType('AWS::ApiGateway::BasePathMapping')) {
    const p = props(id);
    const build = restBuild(p.RestApiId);
    if (!build) continue;
    if (typeof p.BasePath === 'string' && p.BasePath && p.BasePath !== '(none)')
      build.api.basePath = `/${p.BasePath.replace(/^\/+/, '')}`;
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
            {
              statusCode: r.StatusCode,
              responseParameters: r.ResponseParameters,
              responseTemplates: r.ResponseTemplates,
            },
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
