import type { Dispatcher } from 'undici';
import { GATEWAY_ERRORS, type GatewayErrorDef } from '../kernel/gateway-errors.js';
import type { Integration, RequestContext } from '../pipeline/context.js';
import { ClientAbortError, TotalTimeoutError } from '../kernel/errors.js';
import { dispatchFailure } from './errors.js';
import { buildUpstreamHeaders } from './headers.js';
import { prepareUpstreamBody } from './request-body.js';
import { Try, type TryOwner } from './try.js';
import { tunnel, upgradeOf } from './tunnel.js';
import { IDEMPOTENT, type Target, type Upstream } from './upstream.js';

export interface ForwardOptions {
  /** Integration timeout: the response head must arrive within it, over all tries. */
  timeoutMs: number;
  maxBodyBytes: number;
  retryNonIdempotent: boolean;
  /** Route overrides of the upstream's timeouts. */
  timeouts:
    { connectMs?: number | undefined; firstByteMs?: number | undefined; totalMs?: number | undefined } | undefined;
  /** The integration's own method (AWS httpMethod); undefined: the client's. */
  method?: string | undefined;
}

/**
 * http_proxy, the one forwarding path: a URI integration (an implicit upstream of one target,
 * integrations/uri.ts) and a named upstream (upstream/runtime.ts) both run this exchange. It picks
 * a target, and retries idempotent requests on another target after connect errors, resets before
 * any response byte and the configured statuses, within the retry budget (a URI integration has
 * none of these: only the one stale-socket retry, see try.ts). The request is streamed to the
 * upstream with undici's dispatch API and the response streamed back with backpressure; the
 * response head is held until its first body byte, so nothing reaches the client before the last
 * try is chosen: errors until then become gateway responses (504 timeout, 500 failure), after it the
 * client connection is cut (never a short "complete" body). Every try feeds the upstream's passive
 * health, breaker and status.
 */
export class ForwardIntegration implements Integration {
  readonly type = 'http_proxy';
  readonly description: string;
  readonly opts: ForwardOptions;
  #resolve: (ctx: RequestContext) => Upstream | string;

  /** `resolve` gives the upstream for a request, or why there is none (a 500). */
  constructor(description: string, resolve: (ctx: RequestContext) => Upstream | string, opts: ForwardOptions) {
    this.opts = opts;
    this.#resolve = resolve;
    this.description = `http_proxy ${description}`;
  }

  invoke(ctx: RequestContext): void {
    const rt = this.#resolve(ctx);
    if (typeof rt === 'string') {
      ctx.integrationError = new Error(rt);
      ctx.sendError(GATEWAY_ERRORS.INTEGRATION_FAILURE, ctx.api!.responses);
      return;
    }
    const upgrade = upgradeOf(ctx.req);
    if (upgrade) tunnel(ctx, rt, upgrade, this.opts.timeoutMs);
    else new Exchange(ctx, rt, this.opts).start();
  }
}

/** One client request to an upstream, over one or more tries. */
class Exchange implements TryOwner {
  readonly ctx: RequestContext;
  readonly rt: Upstream;
  /** The method sent upstream: the integration's, else the client's. */
  readonly method: string;
  #opts: ForwardOptions;
  /** Ids of the targets tried, for the next pick (filled when a retry is decided: no Set per request). */
  #tried: Set<string> | undefined;
  #tries = 0;
  #body: Dispatcher.DispatchOptions['body'] = null;
  /** The body can be sent again (none, or buffered). */
  #replayable = true;
  #retriable: boolean;
  #headers: string[] | undefined;
  #hashKey: string | undefined;
  #deadline = 0;
  #totalTimer: NodeJS.Timeout | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #current: Try | undefined;
  #probe = false;
  #recorded = false;
  #freeRetryUsed = false;
  done = false;
  totalExpired = false;
  /** The route's timeouts over the upstream's; the head's wait defaults to the integration timeout. */
  readonly timeouts: { connectMs: number | undefined; firstByteMs: number; totalMs: number | undefined };

  constructor(ctx: RequestContext, rt: Upstream, opts: ForwardOptions) {
    this.ctx = ctx;
    this.rt = rt;
    this.#opts = opts;
    this.method = opts.method ?? ctx.method;
    this.#retriable = IDEMPOTENT.has(this.method) || opts.retryNonIdempotent;
    const r = opts.timeouts;
    const u = rt.timeouts;
    this.timeouts = {
      connectMs: r?.connectMs ?? u.connectMs,
      firstByteMs: r?.firstByteMs ?? u.firstByteMs ?? opts.timeoutMs,
      totalMs: r?.totalMs ?? u.totalMs,
    };
  }

  start(): void {
    const { ctx, rt } = this;
    const breaker = rt.breaker;
    if (breaker) {
      const admit = breaker.admit();
      if (admit === 'reject') {
        ctx.integrationError = new Error(`circuit breaker of upstream "${rt.name}" is open`);
        ctx.sendError(GATEWAY_ERRORS.UPSTREAM_CIRCUIT_OPEN, ctx.api!.responses, {
          'retry-after': String(Math.max(1, Math.ceil(breaker.retryAfterMs() / 1000))),
        });
        return;
      }
      this.#probe = admit === 'probe';
    }
    rt.budget?.onRequest();
    this.#hashKey = rt.hashKey(ctx);
    // Told from the server's one 'close' listener (the onClientClose phase).
    ctx.clientCloseHook = this;
    const totalMs = this.timeouts.totalMs;
    if (totalMs) {
      this.#totalTimer = setTimeout(() => this.#onTotalTimeout(totalMs), totalMs);
    }
    // Small bodies are read whole before a connection is taken, and can then be sent again on a
    // retry (forward/request-body.ts); larger ones stream, within the upstream's share for uploads.
    const limits = ctx.snapshot.config.server.limits;
    const bufferBytes = Math.max(limits.requestBufferBytes, this.#retriable ? rt.retries.bufferBytes : 0);
    const opts = { key: rt.shareKey, bufferBytes, maxBodyBytes: this.#opts.maxBodyBytes, waitMs: this.#opts.timeoutMs };
    prepareUpstreamBody(ctx, opts, ({ body, replayable }) => {
      if (this.done) return;
      this.#body = body;
      this.#replayable = replayable;
      this.#deadline = Date.now() + this.#opts.timeoutMs;
      this.#try();
    });
  }

  /** The client connection closed: stop the try in flight, unless the response was complete. */
  onClientClose(): void {
    if (this.ctx.res.writableEnded) return;
    this.#current?.abort(new ClientAbortError('client closed the connection'));
    this.#finish();
  }

  /** Starts a try: on a picked target, or on `fresh` over a new connection (after a stale socket). */
  #try(fresh?: Target): void {
    if (this.done) return;
    const { ctx, rt } = this;
    const ep = fresh ?? rt.pick(this.#hashKey, this.#tried);
    if (!ep) {
      ctx.integrationError = new Error(`upstream "${rt.name}" has no available target`);
      this.#fail(GATEWAY_ERRORS.UPSTREAM_UNAVAILABLE);
      return;
    }
    this.#tries++;
    this.#headers ??= buildUpstreamHeaders(ctx);
    const headers = ep.hostHeader ? [...this.#headers, 'host', ep.hostHeader] : this.#headers;
    const t = new Try(this, ep);
    this.#current = t;
    // The first try has the whole budget; a retry what is left of it. The wait starts once the
    // client's body is in (a streamed upload takes its own time).
    const firstByteMs = this.timeouts.firstByteMs;
    const firstByte = this.#tries === 1 ? firstByteMs : Math.max(1, Math.min(firstByteMs, this.#deadline - Date.now()));
    const req = ctx.req;
    const bodyMs = this.#opts.timeoutMs;
    if (this.#body && !this.#replayable && !req.complete) req.once('end', () => t.timer.start(firstByte, bodyMs));
    else t.timer.start(firstByte, bodyMs);
    ep.inflight++;
    // Observability (access log, metrics, spans): first try's start, last try's origin.
    if (!ctx.integrationStartMs) ctx.integrationStartMs = Date.now();
    ctx.upstreamOrigin = ep.origin;
    const client = fresh ? rt.freshClient(ep, this.timeouts.connectMs) : rt.pool(ep, this.timeouts.connectMs);
    client.dispatch(
      {
        origin: ep.origin,
        path: rt.path(ctx, ep),
        method: this.method as Dispatcher.HttpMethod,
        headers,
        body: this.#body,
        // Timed by the Try's ResponseTimer (the head within firstByte, body chunks within timeoutMs).
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      t,
    );
    // Closes once its one request is done.
    if (fresh) client.close().catch(() => {});
  }

  /** A try ended: in-flight count, passive health, breaker, latency. */
  settle(t: Try, outcome: 'success' | 'failure' | 'none'): void {
    if (t.settled) return;
    t.settled = true;
    t.ep.inflight--;
    if (outcome !== 'none') {
      this.#recorded = true;
      this.rt.report(t.ep, outcome, Date.now() - t.startedAt);
    }
  }

  /** May this exchange try again after a failure before any response byte reached the client? */
  canRetry(): boolean {
    const { rt, ctx } = this;
    if (this.done || this.totalExpired || !this.#retriable || !this.#replayable || ctx.res.headersSent) return false;
    // The stale-socket retry is not counted.
    if (this.#tries - (this.#freeRetryUsed ? 1 : 0) > rt.retries.attempts) return false;
    if (rt.breaker && !rt.breaker.allowsRetry()) return false;
    if (this.#deadline - Date.now() <= 0) return false;
    return rt.budget?.tryRetry() ?? true;
  }

  /** A reset before any byte on an idempotent request: once per request, tried again at once and not counted (stale keep-alive). */
  canRetryFree(): boolean {
    if (
      this.#freeRetryUsed ||
      this.done ||
      this.totalExpired ||
      !this.#retriable ||
      !this.#replayable ||
      this.ctx.res.headersSent
    )
      return false;
    this.#freeRetryUsed = true;
    return true;
  }

  retry(t: Try, immediate: boolean): void {
    if (this.#current === t) this.#current = undefined;
    if (immediate) {
      // The same target, on a new connection: a stale socket says nothing about the target, and
      // the pool may hold more sockets the upstream has just closed.
      this.#try(t.ep);
      return;
    }
    (this.#tried ??= new Set()).add(t.ep.id);
    this.rt.retried(t.ep);
    const r = this.rt.retries;
    const n = this.#tries - 1;
    const backoff = Math.min(r.maxBackoffMs, r.backoffMs * 2 ** n) * (0.5 + Math.random() * 0.5);
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.#try();
    }, backoff);
  }

  /** Answers with a gateway response (or cuts the connection if the response already started). */
  #fail(def: GatewayErrorDef, extra?: Record<string, string>): void {
    if (this.done) return;
    this.#finish();
    this.ctx.sendError(def, this.ctx.api!.responses, extra);
  }

  failWith(t: Try, err: Error): void {
    if (this.#current === t) this.#current = undefined;
    const ctx = this.ctx;
    ctx.integrationError = err;
    if (ctx.res.headersSent) {
      this.#finish();
      ctx.responseObserver?.onError(err, undefined);
      ctx.res.destroy(err);
      return;
    }
    const { def, extra } = dispatchFailure(err);
    // The observer may answer instead (the cache serving a stale copy on error).
    if (ctx.responseObserver?.onError(err, def) === true) {
      this.#finish();
      return;
    }
    this.#fail(def, extra);
  }

  #onTotalTimeout(ms: number): void {
    this.#totalTimer = undefined;
    if (this.done) return;
    this.totalExpired = true;
    const err = new TotalTimeoutError(`upstream exchange took longer than ${ms} ms`);
    if (this.#current) this.#current.abort(err);
    else {
      clearTimeout(this.#backoffTimer);
      this.ctx.integrationError = err;
      if (this.ctx.res.headersSent) {
        this.#finish();
        this.ctx.res.destroy(err);
      } else this.#fail(GATEWAY_ERRORS.INTEGRATION_TIMEOUT);
    }
  }

  /** The client got its full response. */
  complete(t: Try): void {
    if (this.#current === t) this.#current = undefined;
    this.#finish();
  }

  #finish(): void {
    if (this.done) return;
    this.done = true;
    this.ctx.integrationEndMs = Date.now();
    clearTimeout(this.#totalTimer);
    clearTimeout(this.#backoffTimer);
    if (this.#probe) this.rt.breaker?.probeDone(this.#recorded);
  }
}
