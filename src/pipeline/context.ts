import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayErrorDef, GatewayResponses } from '../gateway-responses.js';
import type { TemplateScope } from '../template.js';
import type { Reply } from './policy.js';
import type { ResponseObserver } from './response-observer.js';
import type { CompiledApi, CompiledRoute, CompiledStage, RoutePipeline, Snapshot } from './snapshot.js';
import { decodeOrKeep } from '../router/trie.js';
import { declaresBody } from '../server/request-checks.js';
import type { GatewayContext } from '../kernel/context.js';

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
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly snapshot: Snapshot;
  readonly requestId: string;
  readonly startTimeMs: number;
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
    req: IncomingMessage,
    res: ServerResponse,
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
    return this.req.httpVersionMinor === 1 && this.req.httpVersionMajor === 1 ? 'HTTP/1.1' : `HTTP/${this.req.httpVersion}`;
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
    if (/[\r\n\0]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`invalid response header ${JSON.stringify(name)}`);
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

  /** Adds the request id headers and runs the stage's response header hooks (CORS). */
  finalizeHeaders<H extends Record<string, unknown>>(headers: H): H {
    (headers as Record<string, unknown>)['x-amzn-requestid'] = this.requestId;
    (headers as Record<string, unknown>)['x-request-id'] = this.requestId;
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
