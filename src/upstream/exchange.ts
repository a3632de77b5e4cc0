import type { Dispatcher } from 'undici';
import { GATEWAY_ERRORS, type GatewayErrorDef } from '../gateway-responses.js';
import type { Integration } from '../integrations/integration.js';
import type { RequestContext } from '../pipeline/context.js';
import { ClientAbortError, dispatchFailure, IDEMPOTENT, TotalTimeoutError } from '../forward/errors.js';
import { buildUpstreamHeaders } from '../forward/headers.js';
import { prepareUpstreamBody } from '../forward/request-body.js';
import { hashKeyOf } from './hash-key.js';
import { upstreamRegistry } from './registry.js';
import type { Endpoint, UpstreamRuntime } from './runtime.js';
import type { TimeoutsConfig } from './schema.js';
import { Try, type TryOwner } from './try.js';

export interface UpstreamIntegrationOptions {
  upstream: string;
  /** Integration timeout: the response head must arrive within it, over all tries. */
  timeoutMs: number;
  maxBodyBytes: number;
  retryNonIdempotent: boolean;
  /** Route overrides of the upstream's timeouts. */
  timeouts: TimeoutsConfig | undefined;
}

/**
 * http_proxy to a named upstream: picks a target with the upstream's balancer among healthy,
 * non-ejected, non-drained ones, and retries idempotent requests on another target after connect
 * errors, resets before any response byte and the configured statuses, within the retry budget.
 * The response head is held until its first body byte, so nothing reaches the client before the
 * last try is chosen; after that a failure cuts the client connection (never a short "complete"
 * body). Every try feeds passive health, the breaker and the target's status.
 */
export class UpstreamIntegration implements Integration {
  readonly type = 'http_proxy';
  readonly description: string;
  readonly opts: UpstreamIntegrationOptions;

  constructor(opts: UpstreamIntegrationOptions) {
    this.opts = opts;
    this.description = `http_proxy upstream ${opts.upstream}`;
  }

  invoke(ctx: RequestContext): void {
    const rt = upstreamRegistry(ctx.snapshot.runtime)?.get(this.opts.upstream);
    if (!rt) {
      ctx.integrationError = new Error(`upstream "${this.opts.upstream}" is not running`);
      ctx.sendError(GATEWAY_ERRORS.INTEGRATION_FAILURE, ctx.api!.responses);
      return;
    }
    new Exchange(ctx, rt, this.opts).start();
  }
}

/** One client request to an upstream, over one or more tries. */
class Exchange implements TryOwner {
  readonly ctx: RequestContext;
  readonly rt: UpstreamRuntime;
  #opts: UpstreamIntegrationOptions;
  #tried = new Set<string>();
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

  constructor(ctx: RequestContext, rt: UpstreamRuntime, opts: UpstreamIntegrationOptions) {
    this.ctx = ctx;
    this.rt = rt;
    this.#opts = opts;
    this.#retriable = IDEMPOTENT.has(ctx.method) || opts.retryNonIdempotent;
  }

  get timeouts(): { connectMs: number | undefined; firstByteMs: number; totalMs: number | undefined } {
    const r = this.#opts.timeouts;
    const u = this.rt.cfg.timeouts;
    return {
      connectMs: r?.connectMs ?? u.connectMs,
      firstByteMs: r?.firstByteMs ?? u.firstByteMs ?? this.#opts.timeoutMs,
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
        ctx.sendError(GATEWAY_ERRORS.UPSTREAM_CIRCUIT_OPEN, ctx.api!.responses, { 'retry-after': String(Math.max(1, Math.ceil(breaker.retryAfterMs() / 1000))) });
        return;
      }
      this.#probe = admit === 'probe';
    }
    rt.budget.onRequest();
    this.#hashKey = hashKeyOf(ctx, rt);
    ctx.res.once('close', () => {
      if (ctx.res.writableEnded) return;
      this.#current?.abort(new ClientAbortError('client closed the connection'));
      this.#finish();
    });
    const totalMs = this.timeouts.totalMs;
    if (totalMs) {
      this.#totalTimer = setTimeout(() => this.#onTotalTimeout(totalMs), totalMs);
    }
    // Small bodies are read whole before a connection is taken, and can then be sent again on a
    // retry (forward/request-body.ts); larger ones stream, within the upstream's share for uploads.
    const limits = ctx.snapshot.config.server.limits;
    const bufferBytes = Math.max(limits.requestBufferBytes, this.#retriable ? rt.cfg.retries.bufferBytes : 0);
    const opts = { key: `upstream:${rt.name}`, bufferBytes, maxBodyBytes: this.#opts.maxBodyBytes, waitMs: this.#opts.timeoutMs };
    prepareUpstreamBody(ctx, opts, ({ body, replayable }) => {
      if (this.done) return;
      this.#body = body;
      this.#replayable = replayable;
      this.#deadline = Date.now() + this.#opts.timeoutMs;
      this.#try();
    });
  }

  /** Starts a try: on a picked endpoint, or on `fresh` over a new connection (after a stale socket). */
  #try(fresh?: Endpoint): void {
    if (this.done) return;
    const { ctx, rt } = this;
    const ep = fresh ?? rt.pick(this.#hashKey, this.#tried);
    if (!ep) {
      ctx.integrationError = new Error(`upstream "${rt.name}" has no available target`);
      this.#fail(GATEWAY_ERRORS.UPSTREAM_UNAVAILABLE);
      return;
    }
    this.#tried.add(ep.id);
    this.#tries++;
    this.#headers ??= buildUpstreamHeaders(ctx);
    const headers = ep.hostHeader ? [...this.#headers, 'host', ep.hostHeader] : this.#headers;
    const q = ctx.upstreamQuery ?? ctx.rawQuery;
    const path = ep.basePath + (ctx.upstreamPath ?? ctx.restPath);
    const t = new Try(this, ep);
    this.#current = t;
    const firstByte = Math.max(1, Math.min(this.timeouts.firstByteMs, this.#deadline - Date.now()));
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
        path: q ? `${path}?${q}` : path,
        method: ctx.method as Dispatcher.HttpMethod,
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
    if (this.#tries - (this.#freeRetryUsed ? 1 : 0) > rt.cfg.retries.attempts) return false;
    if (rt.breaker && !rt.breaker.allowsRetry()) return false;
    if (this.#deadline - Date.now() <= 0) return false;
    return rt.budget.tryRetry();
  }

  /** A reset before any byte on an idempotent request: once per request, tried again at once and not counted (stale keep-alive). */
  canRetryFree(): boolean {
    if (this.#freeRetryUsed || this.done || this.totalExpired || !this.#retriable || !this.#replayable || this.ctx.res.headersSent) return false;
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
    this.rt.retried(t.ep);
    const r = this.rt.cfg.retries;
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
