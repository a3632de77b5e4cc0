import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { RequestContext } from '../pipeline/context.js';
import { BodyTooLargeError, ClientAbortError, DiscardError, TotalTimeoutError } from '../kernel/errors.js';
import { copyResponseHeaders } from './headers.js';
import { isInterim } from './informational.js';
import { ReadAhead } from './read-ahead.js';
import { ResponseTimer, type TimedExchange } from './response-timer.js';
import type { Target, Upstream } from './upstream.js';

/** Failures before any response byte that mean "the request did not get through": retryable. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
]);
/** Resets before any response byte (also what a reused keep-alive socket the upstream had just closed gives). */
const RESET_ERRORS = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

/** What a try asks of its exchange (exchange.ts): whether to retry, and how the exchange ends. */
export interface TryOwner {
  readonly ctx: RequestContext;
  readonly rt: Upstream;
  readonly done: boolean;
  readonly totalExpired: boolean;
  settle(t: Try, outcome: 'success' | 'failure' | 'none'): void;
  canRetry(): boolean;
  canRetryFree(): boolean;
  retry(t: Try, immediate: boolean): void;
  failWith(t: Try, err: Error): void;
  complete(t: Try): void;
}

/** One try on one target: an undici dispatch handler. */
export class Try implements Dispatcher.DispatchHandler, TimedExchange {
  readonly ep: Target;
  readonly startedAt = Date.now();
  settled = false;
  #x: TryOwner;
  #controller: Dispatcher.DispatchController | undefined;
  #pendingAbort: Error | undefined;
  #head: { statusCode: number; headers: OutgoingHttpHeaders } | undefined;
  #gotHead = false;
  /** The response is a retryable status being thrown away. */
  #discard = false;
  readonly timer = new ResponseTimer(this);
  #ahead: ReadAhead;

  constructor(x: TryOwner, ep: Target) {
    this.#x = x;
    this.ep = ep;
    this.#ahead = new ReadAhead(x.ctx.res, x.ctx.snapshot.runtime.pools.held, x.rt.shareKey, this.timer);
  }

  abort(err: Error): void {
    if (this.#controller) this.#controller.abort(err);
    else this.#pendingAbort = err;
  }

  timedOut(err: Error): void {
    this.abort(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
    else if (this.#x.done) controller.abort(new ClientAbortError('client closed the connection'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // An interim 1xx (100, 102, 103) before the final response: dropped (forward/informational.ts).
    if (isInterim(statusCode)) return;
    this.timer.head();
    this.#gotHead = true;
    const x = this.#x;
    if (x.done) return;
    const failed = statusCode >= 500;
    if (x.rt.retries.statuses.includes(statusCode) && x.canRetry()) {
      this.#discard = true;
      x.settle(this, 'failure');
      // Stop reading the thrown-away body; the connection is not worth keeping for it.
      controller.abort(new DiscardError('retrying'));
      return;
    }
    x.settle(this, failed ? 'failure' : 'success');
    x.ctx.integrationStatus = statusCode;
    const copied = copyResponseHeaders(headers, x.ctx.api?.type === 'rest');
    // A response observer (the cache) that answered the client itself takes the response's place.
    if (x.ctx.responseObserver?.onHead(statusCode, copied) === false) {
      controller.abort(new ClientAbortError('answered by the response observer'));
      x.complete(this);
      return;
    }
    // Held back until the first body byte or the end: until then a failure can still become a
    // clean gateway response instead of a reset.
    this.#head = { statusCode, headers: x.ctx.finalizeHeaders(copied) };
  }

  #commitHead(): void {
    const head = this.#head;
    if (!head) return;
    this.#head = undefined;
    // ctx.status is what the client was sent (access log, metrics): set with the head it gets.
    this.#x.ctx.status = head.statusCode;
    this.#x.ctx.res.writeHead(head.statusCode, head.headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#discard || this.#x.done) return;
    this.#commitHead();
    this.timer.data();
    this.#x.ctx.responseBytes += chunk.length;
    this.#x.ctx.responseObserver?.onData(chunk);
    this.#ahead.write(controller, chunk, this.#x.ctx.snapshot.config.server.limits);
  }

  onResponseEnd(): void {
    this.timer.stop();
    this.#ahead.done();
    const x = this.#x;
    if (this.#discard) {
      x.retry(this, false);
      return;
    }
    if (x.done) return;
    this.#commitHead();
    x.ctx.responseObserver?.onEnd();
    x.ctx.res.end();
    x.complete(this);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.timer.stop();
    this.#ahead.done();
    const x = this.#x;
    if (this.#discard) {
      if (x.totalExpired)
        x.failWith(this, err instanceof DiscardError ? new Error('retry cut by the total timeout') : err);
      else x.retry(this, false);
      return;
    }
    if (err instanceof ClientAbortError) {
      x.settle(this, 'none');
      x.ctx.responseObserver?.onError(err, undefined);
      return;
    }
    if (x.done) {
      x.settle(this, 'none');
      return;
    }
    this.#head = undefined;
    if (this.#gotHead) {
      // Failed after the head (mid-body, or a framing error before the first byte).
      if (!this.settled) x.settle(this, 'failure');
      x.failWith(this, err);
      return;
    }
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (RESET_ERRORS.has(code) && x.canRetryFree()) {
      x.settle(this, 'none');
      x.retry(this, true);
      return;
    }
    const clientSide = err instanceof BodyTooLargeError || err instanceof TotalTimeoutError;
    x.settle(this, clientSide ? 'none' : 'failure');
    if ((CONNECT_ERRORS.has(code) || RESET_ERRORS.has(code)) && x.canRetry()) {
      x.retry(this, false);
      return;
    }
    x.failWith(this, err);
  }
}
