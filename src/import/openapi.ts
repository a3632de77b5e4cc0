import { openApiSettings } from './api-settings.js';
import { type AuthImportOptions, OpenApiSecurity } from './authorizers.js';
import {
  functionEnv,
  type FunctionEnv,
  lambdaTarget,
  mapFunctionIntegration,
  reportUnusedMappings,
} from './functions.js';
import { mapCacheKeys, mapRequestParameters } from './parameters.js';
import { ImportReport, pointer } from './report.js';
import { OpenApiValidation } from './validators.js';
import { isObj, type Json } from './json.js';
import {
  mapGatewayResponses,
  mapMock,
  noteIntegrationExtras,
  noteOperationExtensions,
  noteRootExtensions,
} from './openapi-extras.js';

export { isObj, type Json } from './json.js';

/**
 * OpenAPI/Swagger with x-amazon-apigateway-* extensions → Portico config (a pure function).
 * Maps routes, stages, base paths, http/http_proxy/mock integrations (incl. $ref'd ones), Lambda
 * integrations (functions.ts), requestParameters and cache keys (parameters.ts), VPC links (to named
 * upstreams), timeouts, stage variables, gateway responses, authorizers and API keys (authorizers.ts),
 * request validation (validators.ts), CORS and binary media types (api-settings.ts). Everything else
 * is listed in the report by JSON pointer: see docs/aws-compatibility.md.
 */

export interface OpenApiImportOptions extends AuthImportOptions {
  /** Values for `${name}` placeholders in the document (e.g. `${uri}`), as `--param name=value`. */
  params?: Readonly<Record<string, string>>;
  /** Stage to create; default `prod` for rest APIs, `$default` for http APIs. */
  stage?: string;
  /** API type; default: http if the document uses HTTP API extensions, else rest. */
  type?: 'rest' | 'http';
  /** API name; default from info.title. */
  name?: string;
  /** VPC link id (connectionId) → URL of the load balancer behind it, e.g. `vpc123=http://10.0.0.5`. */
  vpcLinks?: Readonly<Record<string, string>>;
  /**
   * Where operations without an x-amazon-apigateway-integration go (a plain application document, as
   * an ASP.NET or Spring API exports it), as `--backend`: an http(s) URL the document's paths are
   * relative to (each operation is proxied to URL + its path, path parameters filled in), or the name
   * of an upstream (the request's path after the base path is forwarded as is).
   */
  backend?: string;
  /** Lambda function (name, ARN) → `MODULE#EXPORT` of a local handler, as `--function NAME=./f.js#handler`. */
  functions?: Readonly<Record<string, string>>;
  /** The CloudFormation importer's functions (its template's Lambdas); replaces `functions`. */
  functionEnv?: FunctionEnv;
  /**
   * Escape text that looks like `${NAME}` (default true): the result is written as a config file, which the
   * loader reads again. `apis[].openapi` imports into an already-read config and passes false.
   */
  escapeEnvRefs?: boolean;
}

export interface OpenApiImportResult {
  config: Record<string, unknown>;
  report: ImportReport;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
const PLACEHOLDER = /\$\{(?!stageVariables\.)([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** Replaces `${name}` placeholders from params everywhere in the document (the corpus uses them for harness values). */
function substitute(value: unknown, params: Readonly<Record<string, string>>, missing: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (m, name: string) => {
      const v = params[name];
      if (v === undefined) {
        missing.add(name);
        return m;
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, params, missing));
  if (isObj(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, params, missing)]));
  return value;
}

function resolveRef(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let cur: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function apiName(doc: Json, opts: OpenApiImportOptions): string {
  const title = opts.name ?? (isObj(doc.info) && typeof doc.info.title === 'string' ? doc.info.title : 'imported');
  const clean = title
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|-+$/g, '')
    .slice(0, 128);
  return clean || 'imported';
}

function basePathOf(doc: Json): string {
  if (typeof doc.basePath === 'string') return doc.basePath;
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const first = servers[0];
  if (!isObj(first) || typeof first.url !== 'string') return '/';
  let url = first.url;
  // {basePath} server variables: their default is the base path (AWS's own export style).
  if (isObj(first.variables)) {
    for (const [k, v] of Object.entries(first.variables)) {
      if (isObj(v) && typeof v.default === 'string') url = url.replaceAll(`{${k}}`, v.default);
    }
  }
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '');
  return path || '/';
}

function normaliseBasePath(p: string): string {
  const trimmed = `/${p.replace(/^\/+|\/+$/g, '')}`;
  return trimmed === '/' ? '/' : trimmed;
}

function usesHttpApiExtensions(doc: Json): boolean {
  if ('x-amazon-apigateway-cors' in doc || 'x-amazon-apigateway-importexport-version' in doc) return true;
  const text = JSON.stringify({ paths: doc.paths, components: doc.components });
  return /"payloadFormatVersion"|"isDefaultRoute"/.test(text);
}

/** Imports one document. Throws an Error naming what is wrong if it is not Swagger 2.0 / OpenAPI 3.x. */
export function importOpenApi(input: unknown, opts: OpenApiImportOptions = {}): OpenApiImportResult {
  if (!isObj(input)) throw new Error('expected an OpenAPI or Swagger document (a JSON/YAML mapping)');
  const version =
    typeof input.swagger === 'string' ? input.swagger : typeof input.openapi === 'string' ? input.openapi : undefined;
  if (!version || !/^(2\.0|3\.[01](\.\d+)?)$/.test(version)) {
    throw new Error(`expected "swagger: 2.0" or "openapi: 3.0.x/3.1.x", got ${version ? `"${version}"` : 'neither'}`);
  }
  const report = new ImportReport();
  const missing = new Set<string>();
  const doc = substitute(input, opts.params ?? {}, missing) as Json;
  // x-portico: what `portico export openapi` adds that AWS has no extension for.
  const own = isObj(doc['x-portico']) ? doc['x-portico'] : {};
  const type =
    opts.type ?? (own.type === 'rest' || own.type === 'http' ? own.type : usesHttpApiExtensions(doc) ? 'http' : 'rest');
  const stage = opts.stage ?? (type === 'http' ? '$default' : 'prod');
  const upstreams: Record<string, { targets: { url: string }[] }> = isObj(own.upstreams)
    ? (own.upstreams as typeof upstreams)
    : {};
  const routes: Json[] = [];
  const security = new OpenApiSecurity(doc, report, opts, isObj(doc['x-portico']));
  const validation = new OpenApiValidation(doc, report, isObj(doc['x-portico']));
  const functions = opts.functionEnv ?? functionEnv(opts.functions);

  const paths = isObj(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObj(item)) continue;
    const ops: [string, string][] = METHODS.filter((m) => isObj(item[m])).map((m) => [m, m.toUpperCase()]);
    if (isObj(item['x-amazon-apigateway-any-method'])) ops.push(['x-amazon-apigateway-any-method', 'ANY']);
    for (const [key, method] of ops) {
      const op = item[key] as Json;
      const at = pointer('paths', path, key);
      const routeKey = `${method} ${path}`;
      if (isObj(op) && op.isDefaultRoute === true)
        report.approximated(at, 'isDefaultRoute', 'imported as the $default route');
      const route: Json = { route: isObj(op) && op.isDefaultRoute === true ? '$default' : routeKey };
      const from = report.notes.length;
      route.integration = mapIntegration(
        doc,
        path,
        op,
        at,
        report,
        { upstreams, vpcLinks: opts.vpcLinks ?? {}, functions, apiType: type, backend: opts.backend },
        route,
      );
      const access = route.integration ? security.route(op, at) : undefined;
      if (!access) {
        report.leaveOut(String(route.route), at, from);
        continue;
      }
      routes.push(Object.assign(route, access, validation.route(item, op, at)));
      noteOperationExtensions(op, at, report);
    }
  }
  noteRootExtensions(doc, report);
  if (!opts.functionEnv) reportUnusedMappings(functions, report);
  for (const name of missing) {
    report.unsupported('', `\${${name}}`, `placeholder has no value; pass --param ${name}=VALUE`);
  }

  const stages = !opts.stage && isObj(own.stages) ? own.stages : { [stage]: {} };
  // An imported API is served as API Gateway serves it, `//` included (docs/routing.md#empty-segments).
  const emptySegments = own.emptySegments === 'reject' ? 'reject' : 'aws';
  const api: Json = { name: apiName(doc, opts), type, emptySegments, stages, routes };
  const base = normaliseBasePath(basePathOf(doc));
  if (base !== '/') api.basePath = base;
  const responses = mapGatewayResponses(doc, report);
  if (responses) api.gatewayResponses = responses;
  Object.assign(api, security.apiFields(), validation.apiFields(), openApiSettings(doc, report));
  const config: Json = { version: 1 };
  if (Object.keys(upstreams).length) config.upstreams = upstreams;
  config.apis = [api];
  return { config: (opts.escapeEnvRefs === false ? config : escapeEnvRefs(config)) as Json, report };
}

const ENV_REF = /\$\{(?=[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})/g;

/** Our loader reads `${NAME}` as an environment variable: imported text that merely looks like one is escaped (`$${`). */
export function escapeEnvRefs(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(ENV_REF, '$$$${');
  if (Array.isArray(value)) return value.map(escapeEnvRefs);
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeEnvRefs(v)]));
  return value;
}

export interface MapEnv {
  upstreams: Record<string, { targets: { url: string }[] }>;
  vpcLinks: Readonly<Record<string, string>>;
  /** Lambda targets (aws_proxy); without it Lambda routes are left out. */
  functions?: FunctionEnv;
  apiType?: 'rest' | 'http';
  /** Where operations without an integration go: OpenApiImportOptions.backend. */
  backend?: string | undefined;
}

function mapIntegration(
  doc: Json,
  path: string,
  op: Json,
  at: string,
  report: ImportReport,
  env: MapEnv,
  route: Json,
): Json | undefined {
  let integ = op['x-amazon-apigateway-integration'];
  let iat = `${at}/x-amazon-apigateway-integration`;
  if (isObj(integ) && typeof integ.$ref === 'string') {
    const ref = integ.$ref;
    integ = resolveRef(doc, ref);
    if (!isObj(integ)) {
      report.unsupported(iat, '$ref', `cannot resolve "${ref}"`);
      return undefined;
    }
    iat = `/${ref.slice(2)}`;
  }
  if (!isObj(integ)) {
    if (env.backend !== undefined) return backendIntegration(env.backend, path);
    report.unsupported(
      at,
      'operation',
      'no x-amazon-apigateway-integration; pass --backend URL to proxy such operations to your service; route left out',
    );
    return undefined;
  }
  return mapIntegrationObject(integ, iat, at, report, env, route);
}

/** Integration methods the http_proxy `method` field takes. */
const INTEGRATION_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * An operation of a plain application document (no integration) → a proxy to the backend: an http(s)
 * URL + the operation's path (its `{param}`s filled in from the route's), or a named upstream.
 */
function backendIntegration(backend: string, path: string): Json {
  if (!/^https?:\/\//i.test(backend)) return { type: 'http_proxy', upstream: backend };
  return { type: 'http_proxy', uri: `${backend.replace(/\/+$/, '')}${path}` };
}

/**
 * One integration in x-amazon-apigateway-integration form (camelCase keys) → our integration, or
 * undefined (reported) if the route must be left out. `at` points at the operation, `iat` at the
 * integration. The CloudFormation importer converts AWS::ApiGateway::Method integrations to this form.
 * Route-level fields (the cache key) are added to `route` when given.
 */
export function mapIntegrationObject(
  integ: Json,
  iat: string,
  at: string,
  report: ImportReport,
  env: MapEnv,
  route?: Json,
): Json | undefined {
  const kind = String(integ.type ?? '').toLowerCase();
  if (route) {
    Object.assign(route, mapCacheKeys(integ, iat, String(route.route).replace(/^\S+\s+/, ''), report));
    // x-portico-cache: the rest of a route's cache settings, from `portico export openapi`.
    if (isObj(integ['x-portico-cache']))
      route.cache = { ...integ['x-portico-cache'], ...(isObj(route.cache) ? route.cache : {}) };
  }
  if (kind === 'mock') return mapMock(integ, iat, report);
  if (isObj(integ['x-portico-function'])) return { type: 'function', ...integ['x-portico-function'] };
  if (typeof integ['x-portico-upstream'] === 'string') {
    const out: Json = { type: 'http_proxy', upstream: integ['x-portico-upstream'] };
    if (typeof integ.timeoutInMillis === 'number') out.timeoutMs = integ.timeoutInMillis;
    return out;
  }
  if (kind === 'aws_proxy' || (kind === 'aws' && lambdaTarget(integ.uri))) {
    return mapFunctionIntegration(integ, iat, report, env.functions ?? functionEnv(), env.apiType ?? 'rest');
  }
  if (kind === 'aws') {
    report.unsupported(
      iat,
      'integration type aws',
      'AWS service integrations (S3, DynamoDB, SQS, ...) are not supported; route left out',
    );
    return undefined;
  }
  if (kind !== 'http' && kind !== 'http_proxy') {
    report.unsupported(iat, `integration type ${String(integ.type)}`, 'unknown integration type; route left out');
    return undefined;
  }
  const out: Json = { type: 'http_proxy' };
  if (typeof integ.timeoutInMillis === 'number') out.timeoutMs = Math.max(50, integ.timeoutInMillis);
  let uri = typeof integ.uri === 'string' ? integ.uri : '';
  if (PLACEHOLDER.test(uri)) {
    PLACEHOLDER.lastIndex = 0;
    report.unsupported(`${iat}/uri`, 'uri', `"${uri}" has a placeholder without a value; route left out`);
    return undefined;
  }
  const mapped = mapRequestParameters(integ.requestParameters, uri, iat, report);
  uri = mapped.uri;
  if (mapped.requestParameters) out.requestParameters = mapped.requestParameters;
  if (String(integ.connectionType ?? '').toUpperCase() === 'VPC_LINK') {
    const id = String(integ.connectionId ?? '');
    const target = env.vpcLinks[id];
    if (!target) {
      report.unsupported(
        `${iat}/connectionId`,
        'VPC_LINK',
        `no target for VPC link "${id}"; pass --vpc-link ${id}=http://HOST:PORT; route left out`,
      );
      return undefined;
    }
    const name = `vpc-${id.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 128);
    env.upstreams[name] = { targets: [{ url: target }] };
    if (uri.startsWith('arn:')) {
      // An HTTP API private integration names an ALB/NLB listener or Cloud Map service: the request path goes as is.
      out.upstream = name;
    } else {
      // The URI's host is the NLB's DNS name; the link decides where it goes. Keep its path.
      const path = uri.replace(/^[a-z]+:\/\/[^/]+/i, '') || '/';
      out.uri = `${target.replace(/\/+$/, '')}${path}`;
    }
  } else {
    if (!/^https?:\/\//i.test(uri)) {
      report.unsupported(`${iat}/uri`, 'uri', `"${uri}" is not an http(s) URL; route left out`);
      return undefined;
    }
    out.uri = uri;
  }
  if (kind === 'http') {
    const templates = isObj(integ.requestTemplates) ? Object.keys(integ.requestTemplates) : [];
    report.approximated(
      iat,
      'integration type http',
      `proxied as http_proxy: the request passes through${templates.length ? `; requestTemplates (${templates.join(', ')}) are not applied` : ''}, and responses are not mapped`,
    );
  }
  // The integration's own method is what AWS sends the backend (a GET method integrated with POST sends POST).
  if (typeof integ.httpMethod === 'string' && integ.httpMethod.toUpperCase() !== 'ANY') {
    const m = integ.httpMethod.toUpperCase();
    const same = at.endsWith(`/${m.toLowerCase()}`) || (route && String(route.route).split(' ')[0] === m);
    if (!same) {
      if (INTEGRATION_METHODS.has(m)) out.method = m;
      else report.unsupported(`${iat}/httpMethod`, 'httpMethod', `"${m}" is not an HTTP method; the client's is sent`);
    }
  }
  noteIntegrationExtras(integ, iat, report);
  return out;
}
