import { errors } from 'undici';
import { IntegrationTimeoutError } from '../kernel/errors.js';

/** What a ResponseTimer tells its owner (the dispatch handler) when a wait ran out. */
export interface TimedExchange {
  /**
   * Abort the upstream request with `err`: an IntegrationTimeoutError (no head in time) or undici's
   * BodyTimeoutError (no body chunk in time), which the handlers already map to a 504 or a cut.
   */
  timedOut(err: Error): void;
}

/** Timer callback shared by every timer: no closure per request. */
function fire(t: ResponseTimer): void {
  t.check();
}

/**
 * One upstream exchange's two waits on one native timer: for the response head (`headMs` from start()),
 * then, once the head is in, the idle time between body chunks (`bodyMs` with no chunk, while not
 * paused for a slow client).
 *
 * undici's own headersTimeout and bodyTimeout are off (0) on these dispatches. They tick in whole
 * seconds, and they allocate a timer object per request (with a WeakRef) that lives until the next
 * tick: under load those were the largest share of what V8 promoted to the old generation, whose
 * collections (and the weak references' processing) showed up as the forwarding path's latency tail.
 */
export class ResponseTimer {
  #owner: TimedExchange;
  #timer: NodeJS.Timeout | undefined;
  #headMs = 0;
  #bodyMs = 0;
  /** 0 until the head is in; then when the last body chunk arrived (Date.now()). */
  #lastData = 0;
  #paused = false;
  #stopped = false;

  constructor(owner: TimedExchange) {
    this.#owner = owner;
  }

  /** Starts the wait for the head; a second call, or one after stop(), does nothing. */
  start(headMs: number, bodyMs = headMs): void {
    if (this.#timer || this.#stopped) return;
    this.#headMs = headMs;
    this.#bodyMs = bodyMs;
    this.#timer = setTimeout(fire, headMs, this);
  }

  /** The head is in: from now on the timer bounds the idle time between body chunks. */
  head(): void {
    this.#lastData = Date.now();
    // The running timer is due within headMs; with the same budget for the body, check() then
    // re-arms it for whatever is left. Only a different budget needs a timer of its own now.
    if (this.#timer && this.#bodyMs !== this.#headMs) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(fire, this.#bodyMs, this);
    }
  }

  /** A body chunk arrived. */
  data(): void {
    this.#lastData = Date.now();
  }

  /** Reading is paused because the client is slower: that wait is not the upstream's. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#lastData = Date.now();
  }

  /** The exchange is over (end, error, client gone): no timeout from here on. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The timer fired: a timeout, or (body still flowing, or paused) a new timer for the rest. */
  check(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    if (this.#lastData === 0) {
      this.#stopped = true;
      this.#owner.timedOut(new IntegrationTimeoutError(`no response head within ${this.#headMs} ms`));
      return;
    }
    const ms = this.#bodyMs;
    const idle = this.#paused ? 0 : Date.now() - this.#lastData;
    if (idle >= ms) {
      this.#stopped = true;
      this.#owner.timedOut(new errors.BodyTimeoutError());
      return;
    }
    this.#timer = setTimeout(fire, ms - idle, this);
  }
}
