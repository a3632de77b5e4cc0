import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { EngineRequest, EngineResponse } from '../server/engine/types.js';
import type { Clock } from '../clock.js';
import type { LoadedConfig } from '../config/loaded.js';
import type { PorticoConfig, RouteConfig } from '../config/schema.js';
import type { ServiceRegistry } from '../kernel/services.js';
import type { Logger } from '../logger.js';
import type { PoolRegistry } from '../forward/pools.js';
import type { MountTable } from '../router/mounts.js';
import type { RouteKey } from '../router/route-key.js';
import type { RouteTrie } from '../router/trie.js';
import type { TrustedProxies } from '../server/client-ip.js';
import type { Phase } from './phases.js';
import type { GatewayResponses } from '../gateway-responses.js';
import type { GatewayErrorDef } from '../kernel/gateway-errors.js';
import type { TemplateScope } from '../template.js';
import type { ResponseObserver } from './response-observer.js';
import { decodeOrKeep } from '../router/trie.js';
import { declaresBody } from '../server/request-checks.js';
import type { GatewayContext } from '../kernel/context.js';
import { type ClientCert, clientCertOf } from '../edge/tls/client-cert.js';

/** Who the caller is, as the access phases found out. */
export interface Identity {
  /** API key id (never the key itself). */
  apiKeyId?: string;
  /** Usage plan the key was admitted under for this stage. */
  usagePlan?: string;
  /** From an authorizer: principalId / JWT sub. */
  principalId?: string;
  /** JWT claims, when a JWT authorizer admitted the request. */
  claims?: Readonly<Record<string, unknown>>;
  /** JWT scopes. */
  scopes?: readonly string[];
  /** A function/HTTP authorizer's context, stringified values. */
  authorizerContext?: Readonly<Record<string, string>>;
  /** API key handed over by an authorizer (AWS usageIdentifierKey, apiKeySource AUTHORIZER). */
  usageIdentifierKey?: string;
}

/**
 * One request's state as it runs through the phases. It holds the snapshot it started with, so a
 * reload mid-request changes nothing for it. It implements TemplateScope for $context.* templates.
 */
export class RequestContext implements TemplateScope, GatewayContext {
  readonly req: EngineRequest;
  readonly res: EngineResponse;
  readonly snapshot: Snapshot;
  readonly requestId: string;
  readonly startTimeMs: number;
  #extendedRequestId: string | undefined;
  readonly peerIp: string;
  readonly clientIp: string;
  readonly host: string;
  readonly method: string;
  readonly rawPath: string;
  /** Query string without "?", as received ("" if none). */
  readonly rawQuery: string;

  api: CompiledApi | undefined;
  stage: CompiledStage | undefined;
  route: CompiledRoute | undefined;
  /** Path parameters, still URL-encoded. */
  params: Record<string, string> = {};
  /** The path after base path and stage prefix. */
  restPath = '/';
  /** The custom domain's base path mapping that matched (src/edge/domains), else undefined. */
  basePathMatched: string | undefined;
  errorMessage = '';
  errorResponseType = '';
  /** Status sent to the client, once known. */
  status = 0;
  pipeline: RoutePipeline | undefined;
  /** What the access phases learned about the caller. */
  identity: Identity = {};
  /** Headers policies add to the upstream request (validated names; values are checked for CR/LF/NUL). */
  upstreamHeaders: [string, string][] | undefined;
  /** Edits of the upstream request headers, applied in order after upstreamHeaders (parameter mapping). */
  upstreamHeaderEdits: ['append' | 'overwrite' | 'remove', string, string][] | undefined;
  /** Query string to send upstream instead of rawQuery (parameter mapping). */
  upstreamQuery: string | undefined;
  /** Path to send upstream instead of the route's (HTTP API "overwrite:path"). */
  upstreamPath: string | undefined;
  /** Why the integration failed, for logs. */
  integrationError: Error | undefined;
  /** Sees the integration's response as it streams (the cache tees a miss into its store); see response-observer.ts. */
  responseObserver: ResponseObserver | undefined;
  /**
   * The whole request body, once something had to read it (functions, body validation, inspection; see
   * pipeline/body.ts). When set, integrations send these bytes instead of reading ctx.req.
   */
  bufferedBody: Buffer | undefined;
  /** Told when the client connection closes (the http_proxy handler aborts its upstream request). */
  clientCloseHook: { onClientClose(): void } | undefined;
  /** Listener port and scheme, for X-Forwarded-Port/Proto. */
  readonly localPort: number;
  // Observability (src/observability): timestamps in epoch ms (Date.now(), like startTimeMs), 0 = not reached.
  /** The integration sent the request upstream / finished (response end or failure). */
  integrationStartMs = 0;
  integrationEndMs = 0;
  /** Status the upstream answered (0 = none: not proxied, or it failed before a response). */
  integrationStatus = 0;
  /** Origin the http_proxy integration sent the request to. */
  upstreamOrigin = '';
  /** Body bytes sent to the client: relayed from the upstream, or written by endWith(). */
  responseBytes = 0;
  /** Set by the first requestDone hook that needs it (observability/finish.ts). */
  endTimeMs = 0;
  /** W3C trace context: trace id (32 hex), our span id towards the upstream, the client's span id, flags. */
  traceId = '';
  spanId = '';
  parentSpanId = '';
  traceFlags = '';
  /** Phase spans (authorizer, cache), only while a trace is being exported; see observability/tracing.ts. */
  spans: { name: string; startMs: number; endMs: number; attributes?: Record<string, string | number> }[] | undefined;

  constructor(
    req: EngineRequest,
    res: EngineResponse,
    snapshot: Snapshot,
    init: {
      requestId: string;
      peerIp: string;
      clientIp: string;
      host: string;
      rawPath: string;
      rawQuery: string;
      localPort: number;
    },
  ) {
    this.req = req;
    this.res = res;
    this.snapshot = snapshot;
    this.requestId = init.requestId;
    this.startTimeMs = Date.now();
    this.peerIp = init.peerIp;
    this.clientIp = init.clientIp;
    this.host = init.host;
    this.method = req.method ?? 'GET';
    this.rawPath = init.rawPath;
    this.rawQuery = init.rawQuery;
    this.localPort = init.localPort;
  }

  get protocol(): string {
    return this.req.httpVersionMinor === 1 && this.req.httpVersionMajor === 1
      ? 'HTTP/1.1'
      : `HTTP/${this.req.httpVersion}`;
  }
  get userAgent(): string {
    return this.req.headers['user-agent'] ?? '';
  }
  get apiName(): string {
    return this.api?.name ?? '';
  }
  get stageName(): string {
    return this.stage?.name ?? '';
  }
  get deployment(): Snapshot['deployment'] {
    return this.snapshot.deployment;
  }
  get resourcePath(): string {
    return this.route?.key.path ?? '';
  }
  get routeKey(): string {
    return this.route?.key.key ?? '';
  }
  get stageVariables(): Readonly<Record<string, string>> {
    return this.stage?.variables ?? {};
  }
  /** Body bytes sent to the client ($context.responseLength): 0 for HEAD and bodiless statuses. */
  get responseLength(): number {
    return this.responseBytes;
  }
  get integrationErrorMessage(): string {
    return this.integrationError?.message ?? '';
  }
  /** The verified mTLS client certificate, read once per connection ($context.identity.clientCert). */
  get clientCert(): ClientCert | undefined {
    return clientCertOf(this.req.socket);
  }

  /** `$input.params(name)` of mock response templates: path, then query string, then header (AWS's order). */
  inputParam(name: string, where?: 'path' | 'querystring' | 'header'): string {
    if (where === undefined || where === 'path') {
      const p = this.params[name];
      if (p !== undefined) return decodeOrKeep(p);
      if (where) return '';
    }
    if (where === undefined || where === 'querystring') {
      const q = new URLSearchParams(this.rawQuery).get(name);
      if (q !== null) return q;
      if (where) return '';
    }
    const h = this.req.headers[name.toLowerCase()];
    return Array.isArray(h) ? h.join(',') : (h ?? '');
  }

  // The narrow face (kernel/context.ts): what plugin policies see.
  /** Response headers set through setResponseHeader, added by finalizeHeaders. */
  #extraHeaders: [string, string][] | undefined;
  #shared: Map<string, unknown> | undefined;

  header(name: string): string {
    const h = this.req.headers[name.toLowerCase()];
    return Array.isArray(h) ? h.join(',') : (h ?? '');
  }
  query(name: string): string | undefined {
    return new URLSearchParams(this.rawQuery).get(name) ?? undefined;
  }
  pathParam(name: string): string | undefined {
    const p = this.params[name];
    return p === undefined ? undefined : decodeOrKeep(p);
  }
  get body(): Buffer | undefined {
    return this.bufferedBody;
  }
  setResponseHeader(name: string, value: string): void {
    if (/[\r\n\0]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new Error(`invalid response header ${JSON.stringify(name)}`);
    (this.#extraHeaders ??= []).push([name.toLowerCase(), value]);
  }
  get shared(): Map<string, unknown> {
    return (this.#shared ??= new Map());
  }

  hasUnreadBody(): boolean {
    return declaresBody(this.req.headers) && !this.req.complete;
  }

  /** Ends the request with a policy's reply. */
  reply(r: Reply): void {
    this.sendError(r.error, this.api!.responses, r.headers);
  }

  /** `$context.extendedRequestId` on first use: AWS's 16-character form, 11 random bytes in base64. */
  get extendedRequestId(): string {
    return (this.#extendedRequestId ??= randomBytes(11).toString('base64'));
  }

  /**
   * Adds the request id headers and runs the stage's response header hooks (CORS). Beside
   * x-amzn-RequestId, REST APIs send x-amz-apigw-id and HTTP APIs apigw-requestid, as AWS does
   * (test/fixtures/aws-recorded/; DG:http-api-troubleshooting-jwt), both the extended request id.
   */
  finalizeHeaders<H extends Record<string, unknown>>(headers: H): H {
    (headers as Record<string, unknown>)['x-amzn-requestid'] = this.requestId;
    (headers as Record<string, unknown>)['x-request-id'] = this.requestId;
    const type = this.api?.type;
    if (type === 'rest') (headers as Record<string, unknown>)['x-amz-apigw-id'] = this.extendedRequestId;
    else if (type === 'http') (headers as Record<string, unknown>)['apigw-requestid'] = this.extendedRequestId;
    const hooks = this.stage?.responseHeaders;
    if (hooks) for (const h of hooks) h(this, headers as never);
    if (this.#extraHeaders) for (const [k, v] of this.#extraHeaders) (headers as Record<string, unknown>)[k] = v;
    return headers;
  }

  /** Ends the request with a gateway response, rendered with the API's customisations. */
  sendError(error: GatewayErrorDef, responses: GatewayResponses, extraHeaders?: Record<string, string>): void {
    const res = this.res;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    this.errorMessage = error.message;
    this.errorResponseType = error.type;
    const r = responses.render(error, this);
    r.headers['content-length'] = String(Buffer.byteLength(r.body));
    if (extraHeaders) Object.assign(r.headers, extraHeaders);
    this.finalizeHeaders(r.headers);
    // An unread body is not drained to keep the connection alive: close it (reliability §4.4).
    if (this.hasUnreadBody()) r.headers.connection = 'close';
    this.status = r.status;
    res.writeHead(r.status, r.headers);
    this.endWith(r.body);
  }

  /**
   * Ends a response the gateway made itself (after writeHead) with its whole body, and counts the bytes
   * sent for the access log. HEAD, 1xx, 204 and 304 responses send no body (Node drops it anyway).
   */
  endWith(body: string | Buffer | undefined): void {
    const st = this.res.statusCode;
    if (body === undefined || this.method === 'HEAD' || st < 200 || st === 204 || st === 304) {
      this.res.end();
      return;
    }
    this.responseBytes += typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    this.res.end(body);
  }
}

// The compiled world a request runs in: the snapshot (compiled in ./snapshot.ts), the policies and hooks
// of its phases, and its integration. They refer to RequestContext and it to them, so they are declared
// here, in one module, rather than in modules that would import each other.

/**
 * The compiled, immutable form of a config: mount table, one trie per API, and for every route a
 * ready integration per stage. Built once per load; a reload builds a new one and swaps it in.
 */
export interface Snapshot {
  readonly revision: number;
  readonly loaded: LoadedConfig;
  readonly config: PorticoConfig;
  readonly mounts: MountTable<Mounted>;
  readonly apis: readonly CompiledApi[];
  readonly trustedProxies: TrustedProxies;
  /** Origins the snapshot's integrations use, so unused pools can be closed after a swap. */
  readonly origins: ReadonlySet<string>;
  readonly createdAt: Date;
  readonly runtime: RuntimeDeps;
  /** The deployment this snapshot was compiled from (src/deployments/), and whether it serves as a stage canary. Set once, after compile. */
  deployment?: { readonly id: number; readonly canary: boolean };
}

export interface CompiledApi {
  readonly name: string;
  readonly type: 'rest' | 'http';
  /** The execute-api id (`arn.apiId`, default the name): X-Amzn-Apigateway-Api-Id towards REST backends. */
  readonly apiId: string;
  readonly responses: GatewayResponses;
  readonly trie: RouteTrie<CompiledRoute>;
  readonly defaultRoute: CompiledRoute | undefined;
  readonly stages: readonly CompiledStage[];
  readonly routes: readonly CompiledRoute[];
  /** Keep X-HTTP-Method-Override and its kin towards integrations (docs/security.md#headers). */
  readonly forwardOverrideHeaders: boolean;
  /** `//` in paths: refused (400), or served as AWS does (src/router/empty-segments.ts). */
  readonly emptySegments: 'reject' | 'aws';
}

export interface CompiledStage {
  readonly name: string;
  readonly index: number;
  readonly isDefault: boolean;
  readonly variables: Readonly<Record<string, string>>;
  /** "/production" or "" for $default (after the API base path). */
  readonly prefix: string;
  /** Run before routing for every request to this stage (CORS preflight, WAF). */
  preRoute: readonly PreRouteHook[];
  /** Applied to every response of this stage, upstream's and gateway's (CORS). */
  responseHeaders: readonly ResponseHeaderHook[];
}

/** What one route runs in one stage: its policies by phase, then its integration. */
export interface RoutePipeline {
  readonly integration: Integration;
  readonly policies: readonly Policy[];
}

export interface CompiledRoute {
  readonly key: RouteKey;
  readonly config: RouteConfig;
  /** Pipeline for each stage, by CompiledStage.index. */
  readonly pipelines: readonly RoutePipeline[];
}

export interface Mounted {
  readonly api: CompiledApi;
  readonly stage: CompiledStage;
  /** Set when mounted by a custom domain's base path mapping ('' = the root): $context.customDomain.basePathMatched. */
  readonly basePath?: string;
}

/** The terminal phase: sends the request somewhere and streams the answer back to ctx.res. */
export interface Integration {
  readonly type: string;
  /** One line for `portico routes`, e.g. "http_proxy http://127.0.0.1:8081/{proxy}". */
  readonly description: string;
  invoke(ctx: RequestContext): void;
}

export type Awaitable<T> = T | Promise<T>;

/** Ends the request with a gateway response. */
export interface Reply {
  error: GatewayErrorDef;
  /** Extra response headers (e.g. Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
}

/** A policy compiled for one route in one stage. */
export interface Policy {
  readonly name: string;
  readonly phase: Phase;
  /** undefined: go on; a Reply: end with that gateway response; true: the policy answered the request itself (a cache hit). */
  access(ctx: RequestContext): Awaitable<Reply | true | undefined>;
}

/** Runs before routing for every request an API stage receives (CORS preflight, WAF). Returns true if it answered. */
export interface PreRouteHook {
  readonly name: string;
  onRequest(ctx: RequestContext): Awaitable<Reply | boolean>;
}

/** Adjusts response headers of every response of a route, upstream's and gateway's alike (CORS). */
export type ResponseHeaderHook = (ctx: RequestContext, headers: OutgoingHttpHeaders) => void;

/**
 * Long-lived collaborators, created once per gateway and kept across reloads. State that must
 * survive a reload (buckets, health, pools, caches) lives here, keyed by stable names.
 */
export interface RuntimeDeps {
  pools: PoolRegistry;
  clock: Clock;
  log: Logger;
  /** Feature services (store, metrics, upstream registry, ...) register themselves here by name. */
  services: ServiceRegistry;
  /** Called once per request after the response is finished or the connection closed (logs, metrics). */
  requestDone: ((ctx: RequestContext) => void)[];
}
