import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Client, type Dispatcher } from 'undici';
import { GATEWAY_ERRORS } from '../gateway-responses.js';
import type { RequestContext } from '../pipeline/context.js';
import { ClientAbortError, dispatchFailure, IDEMPOTENT } from '../forward/errors.js';
import { buildUpstreamHeaders, copyResponseHeaders } from '../forward/headers.js';
import type { PoolRegistry } from '../forward/pools.js';
import { isInterim } from '../forward/informational.js';
import { ReadAhead } from '../forward/read-ahead.js';
import { prepareUpstreamBody, type UpstreamBody } from '../forward/request-body.js';
import { ResponseTimer, type TimedExchange } from '../forward/response-timer.js';
import type { UriTemplate } from '../forward/uri-template.js';
import type { Integration } from './integration.js';

/** Where one request goes: an origin and the path+query to ask it for. */
export type TargetResolver = (ctx: RequestContext) => { origin: string; path: string } | undefined;

export function uriTarget(template: UriTemplate): TargetResolver {
  return (ctx) => {
    const path = ctx.upstreamPath ?? template.render(ctx.params);
    const q = ctx.upstreamQuery ?? ctx.rawQuery;
    return { origin: template.origin, path: q ? `${path}${template.hasQuery ? '&' : '?'}${q}` : path };
  };
}

/**
 * http_proxy: streams the request to the upstream with undici's dispatch API and streams the response
 * back with backpressure. Errors before the response starts become gateway responses (504 timeout,
 * 500 failure); after it starts, the client connection is destroyed so a truncated body is never
 * passed off as complete.
 */
export class HttpProxyIntegration implements Integration {
  readonly type = 'http_proxy';
  readonly description: string;
  #resolve: TargetResolver;
  #pools: PoolRegistry;
  #timeoutMs: number;
  #maxBodyBytes: number;

  constructor(opts: {
    resolve: TargetResolver;
    pools: PoolRegistry;
    timeoutMs: number;
    maxBodyBytes: number;
    description: string;
  }) {
    this.#resolve = opts.resolve;
    this.#pools = opts.pools;
    this.#timeoutMs = opts.timeoutMs;
    this.#maxBodyBytes = opts.maxBodyBytes;
    this.description = `http_proxy ${opts.description}`;
  }

  invoke(ctx: RequestContext): void {
    const target = this.#resolve(ctx);
    if (!target) {
      ctx.sendError(GATEWAY_ERRORS.INTEGRATION_FAILURE, ctx.api!.responses);
      return;
    }
    // Small bodies are read whole before a pooled connection is taken (forward/request-body.ts).
    const bufferBytes = ctx.snapshot.config.server.limits.requestBufferBytes;
    const opts = { key: target.origin, bufferBytes, maxBodyBytes: this.#maxBodyBytes, waitMs: this.#timeoutMs };
    prepareUpstreamBody(ctx, opts, (b) => this.#dispatch(ctx, target, b));
  }

  #dispatch(ctx: RequestContext, target: { origin: string; path: string }, { body, replayable }: UpstreamBody): void {
    const req = ctx.req;
    ctx.upstreamOrigin = target.origin;
    const handler = new ProxyHandler(ctx, this.#pools);
    ctx.clientCloseHook = handler;
    ctx.integrationStartMs = Date.now();
    // The waits for the response head and between body chunks are timed here (ResponseTimer), not by
    // undici (whole seconds: a 200 ms budget fired after ~1 s, reliability §4.3; and a promoted timer
    // object per request). The head's wait starts once the client's body is in.
    if (body && !replayable && !req.complete) req.once('end', () => handler.startTimer(this.#timeoutMs));
    else handler.startTimer(this.#timeoutMs);
    const opts: Dispatcher.DispatchOptions = {
      origin: target.origin,
      path: target.path,
      method: ctx.method as Dispatcher.HttpMethod,
      headers: buildUpstreamHeaders(ctx),
      body,
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    // A bodiless (or replayable) idempotent request is sent once more after a stale keep-alive
    // reset, on a new connection: the pool may hold more sockets the upstream has just closed.
    if (replayable && IDEMPOTENT.has(ctx.method)) handler.retryWith = opts;
    this.#pools.get(target.origin).dispatch(opts, handler);
  }
}

/** What a reused keep-alive socket the upstream had just closed gives before any response byte. */
const STALE_SOCKET = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

class ProxyHandler implements Dispatcher.DispatchHandler, TimedExchange {
  /**
   * The dispatch to send once more (set for idempotent requests without a streamed body), on a fresh
   * connection, after a stale keep-alive reset; used once.
   */
  retryWith: Dispatcher.DispatchOptions | undefined;
  readonly timer = new ResponseTimer(this);
  #ctx: RequestContext;
  #controller: Dispatcher.DispatchController | undefined;
  #head: { statusCode: number; headers: OutgoingHttpHeaders } | undefined;
  #timeout: Error | undefined;
  #ahead: ReadAhead;

  constructor(ctx: RequestContext, pools: PoolRegistry) {
    this.#ctx = ctx;
    this.#ahead = new ReadAhead(ctx.res, pools.held, ctx.upstreamOrigin ?? '', this.timer);
  }

  /** The client connection closed (ctx.clientCloseHook, called from the server's one 'close' listener). */
  onClientClose(): void {
    this.timer.stop();
    this.#ahead.done();
    // The client went away before we finished: stop the upstream request too.
    if (!this.#ctx.res.writableEnded) this.#controller?.abort(new ClientAbortError('client closed the connection'));
  }

  /** Starts the wait for the response head, unless the client is already gone. */
  startTimer(ms: number): void {
    if (!this.#ctx.res.destroyed) this.timer.start(ms);
  }

  timedOut(err: Error): void {
    this.#timeout = err;
    this.#controller?.abort(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#timeout) controller.abort(this.#timeout);
    if (this.#ctx.res.destroyed) controller.abort(new ClientAbortError('client closed the connection'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // An interim 1xx (100, 102, 103) before the final response: dropped (forward/informational.ts).
    if (isInterim(statusCode)) return;
    this.timer.head();
    this.#ctx.integrationStatus = statusCode;
    if (this.#ctx.res.destroyed) return;
    // Held back until the first body byte or the end: Node would not send the head before then
    // anyway, and until then a framing error can still become a clean 500 instead of a reset.
    const copied = copyResponseHeaders(headers);
    // A response observer (the cache) that answered the client itself takes the response's place.
    if (this.#ctx.responseObserver?.onHead(statusCode, copied) === false) {
      this.#controller?.abort(new ClientAbortError('answered by the response observer'));
      return;
    }
    this.#head = { statusCode, headers: this.#ctx.finalizeHeaders(copied) };
  }

  #commitHead(): void {
    const head = this.#head;
    if (!head) return;
    this.#head = undefined;
    this.#ctx.status = head.statusCode;
    this.#ctx.res.writeHead(head.statusCode, head.headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#commitHead();
    this.timer.data();
    this.#ctx.responseBytes += chunk.length;
    this.#ctx.responseObserver?.onData(chunk);
    this.#ahead.write(controller, chunk, this.#ctx.snapshot.config.server.limits);
  }

  onResponseEnd(): void {
    this.timer.stop();
    this.#ahead.done();
    this.#ctx.integrationEndMs = Date.now();
    this.#commitHead();
    this.#ctx.responseObserver?.onEnd();
    this.#ctx.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const ctx = this.#ctx;
    // The stale keep-alive race (reliability §1.9): a reset before any response byte on an
    // idempotent request is retried once, transparently, on a fresh try.
    const again = this.retryWith;
    this.retryWith = undefined;
    if (again && !this.#head && !ctx.res.headersSent && !ctx.res.destroyed && STALE_SOCKET.has((err as NodeJS.ErrnoException).code ?? '')) {
      const fresh = new Client(again.origin as string, { pipelining: 1, connectTimeout: 10000 });
      fresh.dispatch(again, this);
      fresh.close().catch(() => {});
      return;
    }
    this.timer.stop();
    this.#ahead.done();
    ctx.integrationEndMs = Date.now();
    if (err instanceof ClientAbortError) {
      ctx.responseObserver?.onError(err, undefined);
      return;
    }
    this.#head = undefined;
    if (ctx.res.headersSent) {
      ctx.responseObserver?.onError(err, undefined);
      // Mid-body failure: never let a short body look complete.
      ctx.res.destroy(err);
      return;
    }
    const { def, extra } = dispatchFailure(err);
    ctx.integrationError = err;
    // The observer may answer instead (the cache serving a stale copy on error).
    if (ctx.responseObserver?.onError(err, def) === true) return;
    ctx.sendError(def, ctx.api!.responses, extra);
  }
}
