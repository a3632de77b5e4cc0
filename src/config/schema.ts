import { z } from 'zod';
import { GATEWAY_RESPONSE_TYPES } from '../kernel/gateway-errors.js';
import type { ConfigFragment } from '../kernel/manifest.js';
import { parseCidr } from './cidr.js';
import { extraListenerSchema } from '../edge/tls/schema.js';
import { type DomainConfig, domainSchema } from '../edge/domains/schema.js';
import { parseListen } from './listen.js';
import { serverLimitsSchema, serverTimeoutsSchema } from './server-schema.js';
import { parseRouteKey } from '../router/route-key.js';

/**
 * The core of the config file's schema: the fields of the gateway itself (listeners, limits, APIs,
 * stages, routes, the http_proxy and mock integrations). Every feature brings its own fields as a
 * ConfigFragment in its manifest; src/features.ts assembles the root schema from the feature list
 * with buildConfigSchema, so no feature imports it and this file imports no feature. From the root
 * come the validator (src/config/load.ts) and the published JSON Schema (`npm run schema` writes
 * schema/portico.schema.json). Every field has a description; keys have one spelling.
 *
 * Types: each feature derives its config types from its own fragment (z.infer) and adds its fields
 * to the core's types below by declaration merging (the *FeatureFields interfaces, as fastify's
 * decorators do), so code reading a route sees every field typed while no core file imports a feature.
 */

export const configName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a name of letters, digits, "_", "." or "-" (max 128)');

/** HOST:PORT (parseListen). */
export const listen = z.string().check((ctx) => {
  try {
    parseListen(ctx.value);
  } catch (err) {
    ctx.issues.push({ code: 'custom', message: (err as Error).message, input: ctx.value });
  }
});

/** An IP address or CIDR range (config/cidr.ts, ipaddr.js), for server.trustedProxies and ipPolicy lists. */
export const cidr = z
  .string()
  .check((ctx) => {
    const r = parseCidr(ctx.value);
    if (typeof r === 'string') ctx.issues.push({ code: 'custom', message: r, input: ctx.value });
  })
  .describe('An IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32.');

const stageName = z
  .string()
  .regex(/^(\$default|[A-Za-z0-9_-]{1,128})$/, 'expected "$default" or a stage name of [A-Za-z0-9_-]{1,128}');

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');

const headerMap = z.record(headerName, z.string()).describe('Header name → value.');

const serverShape = {
  listen: listen.default('0.0.0.0:8080').describe('Data listener, HOST:PORT. IPv6 as [::1]:8080.'),
  trustedProxies: z
    .array(cidr)
    .default([])
    .describe(
      'Peers whose X-Forwarded-For / Forwarded / X-Forwarded-Proto headers are believed. ' +
        'The client IP is the right-most address in the chain that is not a trusted proxy.',
    ),
  extraListeners: z
    .array(extraListenerSchema)
    .default([])
    .describe(
      'More data listeners beside server.listen, each plain or TLS (certificates by SNI, mTLS per custom domain), ' +
        'serving the same APIs (docs/edge.md). Not the ALB `listeners` of the root.',
    ),
  limits: serverLimitsSchema,
  timeouts: serverTimeoutsSchema,
  engine: z
    .enum(['node', 'portico'])
    .default('node')
    .describe(
      "HTTP/1.1 engine of the data listeners: 'node' (node:http) or 'portico' (Portico's own, on node:net/node:tls " +
        "with llhttp's wasm parser, strict as node:http; docs/architecture.md). The PORTICO_ENGINE environment variable overrides it.",
    ),
  watch: z.boolean().default(true).describe('Reload when the config file changes on disk.'),
  logLevel: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('Server log level.'),
};

const adminShape = {
  enabled: z.boolean().default(true).describe('Serve the admin API.'),
  listen: listen.default('127.0.0.1:9876').describe('Admin listener, HOST:PORT. Loopback by default.'),
  token: z
    .string()
    .min(16, 'expected a token of at least 16 characters')
    .optional()
    .describe(
      'Bearer token for the admin API. When unset, a random token is generated and kept in ' +
        '<dataDir>/admin.token (mode 0600). Required when the admin listener is not loopback.',
    ),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .default(64)
    .describe(
      'Open admin connections at most; beyond it a connection is closed at accept. Timeouts are server.timeouts.',
    ),
};

const templateString = z.string();

const httpProxyShape = {
  type: z.literal('http_proxy'),
  uri: templateString
    .optional()
    .describe(
      'Endpoint URI template: http(s)://host[:port]/path with {param}, {proxy} and ${stageVariables.x}. ' +
        'The client query string is appended.',
    ),
  upstream: configName
    .optional()
    .describe('Name of an upstream under `upstreams`; the request path (after stage and base path) is forwarded.'),
  timeoutMs: z
    .number()
    .int()
    .min(50)
    .max(300000)
    .default(29000)
    .describe('Integration timeout: no response headers by then gives 504 INTEGRATION_TIMEOUT. AWS: 29 s.'),
  method: z
    .enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
    .optional()
    .describe(
      "The method sent to the backend (AWS's integration httpMethod: a GET route integrated with POST sends POST). " +
        "Unset: the client's method.",
    ),
};

const mockIntegration = z
  .strictObject({
    type: z.literal('mock'),
    statusCode: z.number().int().min(100).max(599).default(200).describe('Response status.'),
    headers: headerMap.default({}).describe('Response headers.'),
    body: z.string().default('').describe('Response body.'),
  })
  .describe('Answer with a fixed response; no backend.');

const routeShape = {
  route: z
    .string()
    .check((ctx) => {
      const r = parseRouteKey(ctx.value);
      if (typeof r === 'string') ctx.issues.push({ code: 'custom', message: r, input: ctx.value });
    })
    .describe('Route key: "METHOD /path" with {param} and a final {proxy+}, ANY for any method, or "$default".'),
};

const stageShape = {
  variables: z
    .record(
      z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a stage variable name of [A-Za-z0-9_]{1,64}'),
      z.string().max(512),
    )
    .default({})
    .describe('Stage variables, usable as ${stageVariables.name} in URIs and $stageVariables.name in templates.'),
};

const gatewayResponseSchema = z
  .strictObject({
    statusCode: z.number().int().min(100).max(599).optional().describe('Status; defaults to the type’s own.'),
    headers: headerMap.default({}).describe('Headers; values may use $context.* and $stageVariables.* variables.'),
    body: z
      .string()
      .optional()
      .describe(
        'Body template, default {"message":$context.error.messageString}. Variables: $context.*, $stageVariables.*.',
      ),
    contentType: z.string().default('application/json').describe('Content-Type of the body.'),
  })
  .describe('A customised gateway response.');

const arnSchema = z
  .strictObject({
    region: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/)
      .default('us-east-1')
      .describe('Region in execute-api ARNs.'),
    accountId: z
      .string()
      .regex(/^[0-9]{12}$/, 'expected 12 digits')
      .default('123456789012')
      .describe('Account id in execute-api ARNs.'),
    apiId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/)
      .optional()
      .describe('API id in execute-api ARNs; defaults to the API name.'),
  })
  .prefault({})
  .describe(
    'Placeholders for arn:aws:execute-api:{region}:{accountId}:{apiId}/{stage}/{VERB}/{resource}, as authorizers and resource-policy errors see them.',
  );

const apiShape = {
  name: configName.describe('API name, unique. Shown in logs, metrics and `portico routes`.'),
  type: z.enum(['rest', 'http']).describe('rest = AWS REST API semantics; http = AWS HTTP API semantics.'),
  hosts: z
    .array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'expected a host name, optionally starting with "*."'))
    .default([])
    .describe('Host names this API answers on ("*.example.com" allowed). Empty = any host.'),
  basePath: z
    .string()
    .regex(/^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/, 'expected a base path such as / or /v1/pets')
    .default('/')
    .describe('Path prefix of this API (a base path mapping), before the stage.'),
  gatewayResponses: z
    .partialRecord(z.enum(GATEWAY_RESPONSE_TYPES), gatewayResponseSchema)
    .default({})
    .describe('Customised gateway responses by AWS type (e.g. THROTTLED, DEFAULT_4XX).'),
  forwardOverrideHeaders: z
    .boolean()
    .default(false)
    .describe(
      'Pass X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override, X-Original-URL and X-Rewrite-URL on to ' +
        'integrations. Off by default: a backend that honours them would run another method or path than the ' +
        'one routed and authorised. AWS forwards them.',
    ),
  emptySegments: z
    .enum(['reject', 'aws'])
    .default('reject')
    .describe(
      'Paths with empty segments (`//`). reject: 400, as for every ambiguous path (docs/security.md). aws: served ' +
        'as AWS does: `/stage//x` reaches `/x`, a greedy value keeps `//` inside it; the route is matched on the ' +
        'path with slashes merged. `portico import` writes aws; hand-written configs default to reject.',
    ),
  arn: arnSchema,
};

/** The root schema from the core's fields and the features' fragments, in feature order (src/features.ts calls it). */
export function buildConfigSchema(fragments: readonly (ConfigFragment | undefined)[]): ConfigSchema {
  const slot = (k: Exclude<keyof ConfigFragment, 'integrations' | 'refine'>): z.ZodRawShape =>
    Object.assign({}, ...fragments.map((f) => f?.[k] ?? {}));
  const integrations = [
    z
      .strictObject({ ...httpProxyShape, ...slot('httpProxy') })
      .describe('Proxy the request to an HTTP endpoint, streaming both ways.'),
    mockIntegration,
    ...fragments.flatMap((f) => f?.integrations ?? []),
  ];
  const types = integrations.map((o) => `"${String((o.shape.type as z.ZodLiteral).value)}"`).join(', ');
  const integration = z.discriminatedUnion('type', integrations as [z.ZodObject, ...z.ZodObject[]], {
    error: (iss) => (iss.code === 'invalid_union' ? `expected type to be one of ${types}` : undefined),
  });
  const route = z
    .strictObject({ ...routeShape, integration: integration.describe('Where the request goes.'), ...slot('route') })
    .describe('One route.');
  const stage = z
    .strictObject({ ...stageShape, ...slot('stage') })
    .describe('A stage: a deployment of the API under /{stage}, or at the root for $default.');
  const api = z
    .strictObject({
      ...apiShape,
      stages: z
        .record(stageName, stage)
        .refine((s) => Object.keys(s).length > 0, 'expected at least one stage')
        .describe('Stages by name. "$default" serves at the root with no stage prefix (http APIs only).'),
      routes: z.array(route).describe('Routes.'),
      ...slot('api'),
    })
    .describe('An API: stages and routes, with AWS REST or HTTP API semantics.');
  const refines = fragments.flatMap((f) => (f?.refine ? [f.refine] : []));
  return z
    .strictObject({
      version: z.literal(1, 'expected version: 1').describe('Config format version. Only 1 exists.'),
      server: z
        .strictObject({ ...serverShape, ...slot('server') })
        .prefault({})
        .describe('The data-plane listener.'),
      admin: z
        .strictObject({ ...adminShape, ...slot('admin') })
        .prefault({})
        .describe('The admin API (status, reload, routes). Never on the data listener.'),
      dataDir: z
        .string()
        .default('./portico-data')
        .describe(
          'Directory for runtime data (admin token, runtime info, later keys and usage). Relative to the config file.',
        ),
      apis: z.array(api).min(1, 'expected at least one API').describe('The APIs served.'),
      domains: z
        .array(domainSchema)
        .default([])
        .describe('Custom domain names with base path mappings to API stages, as API Gateway has them (docs/edge.md).'),
      ...slot('root'),
    })
    .superRefine((config, ctx) => {
      for (const refine of refines) refine(config as never, ctx);
    })
    .describe('Portico gateway configuration.') as unknown as ConfigSchema;
}

/* eslint-disable @typescript-eslint/no-empty-object-type -- filled by the features (declaration merging) */
/** Top-level keys the features add (`usagePlans`, `observability`, ...). */
export interface RootFeatureFields {}
export interface ServerFeatureFields {}
export interface AdminFeatureFields {}
export interface ApiFeatureFields {}
export interface StageFeatureFields {}
export interface RouteFeatureFields {}
export interface HttpProxyFeatureFields {}
/** Integration types the features add, by type name (`function: FunctionIntegrationConfig`). */
export interface FeatureIntegrations {}
/* eslint-enable @typescript-eslint/no-empty-object-type */

/** The output type of a zod shape: what a feature's fragment slot adds to a config object. */
export type Fields<S extends z.ZodRawShape> = z.output<z.ZodObject<S>>;

export type ServerConfig = Fields<typeof serverShape> & ServerFeatureFields;
export type AdminConfig = Fields<typeof adminShape> & AdminFeatureFields;
export type HttpProxyIntegrationConfig = Fields<typeof httpProxyShape> & HttpProxyFeatureFields;
export type MockIntegrationConfig = z.infer<typeof mockIntegration>;
export type IntegrationConfig =
  HttpProxyIntegrationConfig | MockIntegrationConfig | FeatureIntegrations[keyof FeatureIntegrations];
export type RouteConfig = Fields<typeof routeShape> & { integration: IntegrationConfig } & RouteFeatureFields;
export type StageConfig = Fields<typeof stageShape> & StageFeatureFields;
export type ApiConfig = Fields<typeof apiShape> & {
  stages: Record<string, StageConfig>;
  routes: RouteConfig[];
} & ApiFeatureFields;
export type PorticoConfig = {
  version: 1;
  server: ServerConfig;
  admin: AdminConfig;
  dataDir: string;
  apis: ApiConfig[];
  domains: DomainConfig[];
} & RootFeatureFields;
export type ArnConfig = z.infer<typeof arnSchema>;
export type GatewayResponseConfig = z.infer<typeof gatewayResponseSchema>;
/** The root schema's type: it parses to PorticoConfig. */
export type ConfigSchema = z.ZodType<PorticoConfig>;
