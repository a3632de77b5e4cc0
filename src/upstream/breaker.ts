import type { Clock } from '../clock.js';
import type { BreakerConfig } from './schema.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

const BUCKETS = 10;

/** Sliding-window counts in BUCKETS slices of the window, by the injected clock. */
export class WindowCounter {
  #clock: Clock;
  #slice: number;
  #starts = new Float64Array(BUCKETS).fill(-Infinity);
  #a = new Float64Array(BUCKETS);
  #b = new Float64Array(BUCKETS);

  constructor(clock: Clock, windowMs: number) {
    this.#clock = clock;
    this.#slice = Math.max(1, windowMs / BUCKETS);
  }

  #bucket(): number {
    const t = Math.floor(this.#clock.now() / this.#slice);
    const i = t % BUCKETS;
    if (this.#starts[i] !== t) {
      this.#starts[i] = t;
      this.#a[i] = 0;
      this.#b[i] = 0;
    }
    return i;
  }

  add(a: number, b: number): void {
    const i = this.#bucket();
    this.#a[i] = (this.#a[i] as number) + a;
    this.#b[i] = (this.#b[i] as number) + b;
  }

  /** Sums over the window: [a, b]. */
  sums(): [number, number] {
    this.#bucket();
    const t = Math.floor(this.#clock.now() / this.#slice);
    let a = 0;
    let b = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (t - (this.#starts[i] as number) >= BUCKETS) continue;
      a += this.#a[i] as number;
      b += this.#b[i] as number;
    }
    return [a, b];
  }

  reset(): void {
    this.#starts.fill(-Infinity);
  }
}

/**
 * A circuit breaker for one upstream. Closed: requests pass and their outcomes are counted over a
 * sliding window; once at least `minRequests` are in it and the failure rate reaches
 * `failureRatePercent`, it opens. Open: every request is refused (the gateway answers 503 at once)
 * for `openMs`. Then half-open: up to `halfOpenRequests` requests pass as probes; if that many
 * succeed it closes, and any failure opens it again.
 */
export class CircuitBreaker {
  #clock: Clock;
  #cfg: BreakerConfig;
  #window: WindowCounter;
  #state: BreakerState = 'closed';
  #openedAt = 0;
  #probes = 0;
  #probeSuccesses = 0;
  /** Times it opened, for status. */
  opened = 0;

  constructor(clock: Clock, cfg: BreakerConfig) {
    this.#clock = clock;
    this.#cfg = cfg;
    this.#window = new WindowCounter(clock, cfg.windowMs);
  }

  get state(): BreakerState {
    if (this.#state === 'open' && this.#clock.now() >= this.#openedAt + this.#cfg.openMs) {
      this.#state = 'half-open';
      this.#probes = 0;
      this.#probeSuccesses = 0;
    }
    return this.#state;
  }

  /** Milliseconds until an open breaker lets probes through (0 when not open). */
  retryAfterMs(): number {
    return this.state === 'open' ? Math.max(0, this.#openedAt + this.#cfg.openMs - this.#clock.now()) : 0;
  }

  /** Whether a new request may go upstream; 'probe' means it is a half-open probe and must call probeDone(). */
  admit(): 'pass' | 'probe' | 'reject' {
    const s = this.state;
    if (s === 'closed') return 'pass';
    if (s === 'open') return 'reject';
    if (this.#probes >= this.#cfg.halfOpenRequests) return 'reject';
    this.#probes++;
    return 'probe';
  }

  /** A probe request ended without an outcome (client went away): frees its slot. */
  probeDone(recorded: boolean): void {
    if (!recorded && this.#state === 'half-open' && this.#probes > 0) this.#probes--;
  }

  /** Whether a retry may go upstream now (no new probes are taken for retries). */
  allowsRetry(): boolean {
    return this.state === 'closed';
  }

  record(ok: boolean): void {
    const s = this.state;
    if (s === 'open') return;
    if (s === 'half-open') {
      if (!ok) this.#open();
      else if (++this.#probeSuccesses >= this.#cfg.halfOpenRequests) {
        this.#state = 'closed';
        this.#window.reset();
      }
      return;
    }
    this.#window.add(1, ok ? 0 : 1);
    if (ok) return;
    const [total, failures] = this.#window.sums();
    if (total >= this.#cfg.minRequests && (failures / total) * 100 >= this.#cfg.failureRatePercent) this.#open();
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#clock.now();
    this.opened++;
  }

  status(): Record<string, unknown> {
    const [requests, failures] = this.#window.sums();
    return {
      state: this.state,
      opened: this.opened,
      windowRequests: requests,
      windowFailures: failures,
      retryAfterMs: this.retryAfterMs(),
    };
  }
}

/**
 * Retry budget over a sliding 10 s window: a retry is allowed while retries stay within
 * `budgetPercent` of requests (or under `minRetries`), so a 5xx storm is amplified by at most
 * 1 + budgetPercent/100 once past the minimum.
 */
export class RetryBudget {
  #window: WindowCounter;
  #percent: number;
  #min: number;

  constructor(clock: Clock, percent: number, minRetries: number) {
    this.#window = new WindowCounter(clock, 10000);
    this.#percent = percent;
    this.#min = minRetries;
  }

  onRequest(): void {
    this.#window.add(1, 0);
  }

  tryRetry(): boolean {
    const [requests, retries] = this.#window.sums();
    if (retries + 1 > Math.max(this.#min, (requests * this.#percent) / 100)) return false;
    this.#window.add(0, 1);
    return true;
  }
}
