import type { PorticoConfig } from '../config/schema.js';
import { parseRouteKey, type RouteKey } from '../router/route-key.js';
import { exportSettings } from './api-settings.js';
import { exportFunctionIntegration } from './functions.js';
import { isObj, type Json } from './json.js';
import { exportCacheKeys } from './parameters.js';
import { exportValidation } from './validators.js';

/**
 * Our config → OpenAPI 3.0 with the x-amazon-apigateway-* extensions, one document per API.
 * Authorizers, API keys, request validation, CORS and binary media types go where AWS has them.
 * What AWS has no extension for (the API type and stages, named upstreams, our exact authorizer and
 * validation settings) travels in `x-portico`, `x-portico-upstream`, `x-portico-authorizer` and
 * `x-portico-request-validation`, which `portico import openapi` reads back, so import → export → import
 * gives the same config.
 */
export function exportOpenApi(config: PorticoConfig, apiName?: string): Json {
  const api = apiName ? config.apis.find((a) => a.name === apiName) : config.apis[0];
  if (!api) throw new Error(`no API named "${apiName}"; APIs: ${config.apis.map((a) => a.name).join(', ')}`);
  const paths: Record<string, Json> = {};
  const routeOps: [Json, Json][] = [];
  for (const route of api.routes) {
    const key = parseRouteKey(route.route) as RouteKey;
    const path = key.isDefault ? '/$default' : key.path;
    const item = (paths[path] ??= {});
    const op: Json = {};
    const params = key.segments
      .filter((s) => s.kind !== 'static')
      .map((s) => ({
        name: `${s.name}${s.kind === 'greedy' ? '+' : ''}`,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
    if (params.length) op.parameters = params;
    if (key.isDefault) op.isDefaultRoute = true;
    op['x-amazon-apigateway-integration'] = {
      ...exportIntegration(route.integration as Json, api.type),
      ...exportCacheKeys(route.cache as Json | undefined),
    };
    item[key.method === 'ANY' ? 'x-amazon-apigateway-any-method' : key.method.toLowerCase()] = op;
    routeOps.push([plain(route), op]);
  }
  const doc: Json = {
    openapi: '3.0.1',
    info: { title: api.name, version: '1' },
    paths,
    'x-portico': {
      type: api.type,
      emptySegments: api.emptySegments,
      stages: api.stages,
      ...upstreamsUsed(config, api),
    },
  };
  if (api.basePath !== '/') {
    doc.servers = [{ url: '/{basePath}', variables: { basePath: { default: api.basePath.slice(1) } } }];
  }
  if (Object.keys(api.gatewayResponses).length) {
    const out: Json = {};
    for (const [type, r] of Object.entries(api.gatewayResponses)) {
      if (!r) continue;
      const g: Json = {};
      if (r.statusCode !== undefined) g.statusCode = r.statusCode;
      if (Object.keys(r.headers).length) {
        g.responseParameters = Object.fromEntries(
          Object.entries(r.headers).map(([k, v]) => [`gatewayresponse.header.${k}`, `'${v}'`]),
        );
      }
      if (r.body !== undefined) g.responseTemplates = { [r.contentType]: r.body };
      out[type] = g;
    }
    doc['x-amazon-apigateway-gateway-responses'] = out;
  }
  const { schemes, root } = exportSecurity(plain(api), routeOps);
  if (Object.keys(schemes).length)
    doc.components = { ...(doc.components as Json | undefined), securitySchemes: schemes };
  Object.assign(doc, root);
  exportValidation(plain(api), doc, routeOps);
  exportSettings(plain(api), doc);
  return doc;
}

function exportIntegration(integ: Json, apiType: 'rest' | 'http'): Json {
  if (integ.type === 'mock') {
    const status = Number(integ.statusCode ?? 200);
    const headers = (integ.headers ?? {}) as Record<string, string>;
    const contentType = headers['content-type'] ?? 'application/json';
    const def: Json = { statusCode: String(status) };
    const entries = Object.entries(headers);
    if (entries.length)
      def.responseParameters = Object.fromEntries(entries.map(([k, v]) => [`method.response.header.${k}`, `'${v}'`]));
    if (integ.body) def.responseTemplates = { [contentType]: integ.body };
    return {
      type: 'mock',
      requestTemplates: { 'application/json': `{"statusCode": ${status}}` },
      responses: { default: def },
    };
  }
  if (integ.type === 'function') return exportFunctionIntegration(integ, apiType);
  const out: Json = { type: 'http_proxy', httpMethod: typeof integ.method === 'string' ? integ.method : 'ANY' };
  if (typeof integ.uri === 'string') out.uri = integ.uri;
  if (typeof integ.upstream === 'string') out['x-portico-upstream'] = integ.upstream;
  if (integ.timeoutMs !== undefined && integ.timeoutMs !== 29000) out.timeoutInMillis = integ.timeoutMs;
  if (integ.requestParameters) out.requestParameters = integ.requestParameters;
  if (apiType === 'http') out.payloadFormatVersion = '1.0';
  return out;
}

function upstreamsUsed(config: PorticoConfig, api: PorticoConfig['apis'][number]): Json {
  const names = new Set(
    api.routes.map((r) => (r.integration as Json).upstream).filter((u): u is string => typeof u === 'string'),
  );
  if (!names.size) return {};
  return {
    upstreams: Object.fromEntries([...names].filter((n) => config.upstreams[n]).map((n) => [n, config.upstreams[n]])),
  };
}

/** A config object as plain JSON (config types are interfaces, which carry no index signature). */
function plain(v: object): Json {
  return v as Json;
}

/** Our route and API access settings → the OpenAPI security schemes and requirements (for `portico export openapi`). */
export function exportSecurity(api: Json, routeOps: [Json, Json][]): { schemes: Json; root: Json } {
  const schemes: Json = {};
  const authorizers = isObj(api.authorizers) ? api.authorizers : {};
  for (const [name, cfg] of Object.entries(authorizers)) {
    if (!isObj(cfg)) continue;
    schemes[name] = {
      type: 'apiKey',
      name: headerOf(cfg),
      in: 'header',
      'x-amazon-apigateway-authorizer': awsAuthorizer(cfg),
      'x-portico-authorizer': cfg,
    };
  }
  const keyHeader = typeof api.apiKeyHeader === 'string' ? api.apiKeyHeader : 'x-api-key';
  const needsKey = routeOps.some(([r]) => r.apiKeyRequired === true);
  if (needsKey || keyHeader !== 'x-api-key') schemes.api_key = { type: 'apiKey', name: keyHeader, in: 'header' };
  for (const [route, op] of routeOps) {
    const req: Json = {};
    if (typeof route.authorizer === 'string')
      req[route.authorizer] = Array.isArray(route.authorizationScopes) ? route.authorizationScopes : [];
    if (route.apiKeyRequired === true) req.api_key = [];
    if (Object.keys(req).length) op.security = [req];
  }
  const root: Json = {};
  if (api.apiKeySource === 'AUTHORIZER') root['x-amazon-apigateway-api-key-source'] = 'AUTHORIZER';
  return { schemes, root };
}

function headerOf(cfg: Json): string {
  const src = Array.isArray(cfg.identitySource) ? cfg.identitySource[0] : cfg.identitySource;
  const m = typeof src === 'string' ? /^\$request\.header\.(.+)$/.exec(src) : null;
  return m ? (m[1] as string) : 'Authorization';
}

function awsAuthorizer(cfg: Json): Json {
  const restSources = (
    Array.isArray(cfg.identitySource) ? cfg.identitySource : cfg.identitySource ? [cfg.identitySource] : []
  )
    .map((s) => String(s).replace(/^\$request\./, 'method.request.'))
    .join(',');
  if (cfg.type === 'function') {
    const out: Json = { type: cfg.eventType === 'REQUEST' ? 'request' : 'token' };
    if (restSources) out.identitySource = restSources;
    if (cfg.identityValidationExpression !== undefined)
      out.identityValidationExpression = cfg.identityValidationExpression;
    if (cfg.resultTtlSeconds !== undefined) out.authorizerResultTtlInSeconds = cfg.resultTtlSeconds;
    return out;
  }
  if (cfg.type === 'jwt') {
    const cognito = /^https:\/\/cognito-idp\.([a-z0-9-]+)\.amazonaws\.com\/([A-Za-z0-9_-]+)$/.exec(String(cfg.issuer));
    if (cfg.verifyAudience === false && cognito) {
      return {
        type: 'cognito_user_pools',
        providerARNs: [`arn:aws:cognito-idp:${cognito[1]}:000000000000:userpool/${cognito[2]}`],
      };
    }
    const out: Json = { type: 'jwt', jwtConfiguration: { issuer: cfg.issuer, audience: cfg.audiences ?? [] } };
    out.identitySource = cfg.identitySource ?? '$request.header.Authorization';
    return out;
  }
  return { type: 'request', identitySource: restSources };
}
