import { type Clock, systemClock } from '../../../clock.js';

/** One deadline holder: a connection's headers, request or keep-alive timeout. */
export interface Timed {
  /** Clock time (ms) at which `onDeadline` runs; 0 is none. */
  deadline: number;
  onDeadline(): void;
}

/**
 * One coarse timer for every connection of a listener (issue 18): a single interval of `tickMs`
 * walks the registered connections and fires those whose deadline has passed, instead of a Node
 * timer per connection per phase. A deadline is so checked up to one tick late, as node:http's
 * connectionsCheckingInterval is. The clock is injected; `tick()` is public so a test can move an
 * injected clock and check at once, without waiting for the interval.
 */
export class TimerWheel {
  readonly #items = new Set<Timed>();
  readonly #clock: Clock;
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: { clock?: Clock; tickMs?: number } = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#tickMs = opts.tickMs ?? 500;
  }

  now(): number {
    return this.#clock.now();
  }

  add(t: Timed): void {
    this.#items.add(t);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.tick(), this.#tickMs);
      this.#timer.unref();
    }
  }

  delete(t: Timed): void {
    this.#items.delete(t);
    if (this.#items.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  tick(): void {
    const now = this.#clock.now();
    for (const t of this.#items) {
      if (t.deadline > 0 && t.deadline <= now) {
        t.deadline = 0;
        try {
          t.onDeadline();
        } catch {
          // A connection's own failure never stops the others' timers.
        }
      }
    }
  }

  get size(): number {
    return this.#items.size;
  }
}
