import type { Logger } from '../logger.js';

/** Thrown (or rejected with) when the store is known to be down or did not answer in time. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type HealthState = 'up' | 'down';

/**
 * Rejects with StoreUnavailableError when `p` has not settled `ms` after the call. The deadline is
 * checked in a setImmediate after the timer fires, i.e. after the event loop has read the sockets:
 * a reply that arrived while this process was busy (event-loop lag) still wins over the timer.
 */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (done) return;
          done = true;
          reject(new StoreUnavailableError(`Redis did not answer within ${ms} ms`));
        }),
      ms,
    );
    p.then(
      (v) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(err as Error);
      },
    );
  });
}

export interface HealthStatus {
  state: HealthState;
  /** ISO time the current outage began, or null. */
  downSince: string | null;
  lastError: string | null;
  /** Outages since start. */
  outages: number;
  /** Requests answered by a failure policy (fallback, open or closed) since start, per feature. */
  fallbacks: Record<string, number>;
}

/**
 * The store's view of Redis: up, or down since a failed command. While down, request-path calls
 * skip Redis at once (no per-request timeout to pay) and a probe runs every `probeIntervalMs`
 * until Redis answers again. Uses real timers: this is about the network, not about the clock
 * the limits use.
 */
export class StoreHealth {
  #state: HealthState = 'up';
  #downSince: number | undefined;
  #lastError: string | null = null;
  #outages = 0;
  #fallbacks: Record<string, number> = {};
  #probe: () => Promise<unknown>;
  #interval: number;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;
  #log: Logger;
  #listeners: ((state: HealthState) => void)[] = [];
  #closed = false;
  #failures = 0;
  readonly #threshold: number;

  constructor(probe: () => Promise<unknown>, probeIntervalMs: number, log: Logger, threshold = 3) {
    this.#threshold = threshold;
    this.#probe = probe;
    this.#interval = probeIntervalMs;
    this.#log = log;
  }

  get up(): boolean {
    return this.#state === 'up';
  }

  onChange(fn: (state: HealthState) => void): void {
    this.#listeners.push(fn);
  }

  /** A command succeeded: failures must be consecutive to mark Redis down. */
  succeeded(): void {
    this.#failures = 0;
  }

  /**
   * A command failed. `hard` (the connection closed) marks Redis down at once; timeouts do after
   * `threshold` in a row, so one slow answer on a busy node doesn't switch every request to the
   * fallback. Down: probing starts.
   */
  fail(err: unknown, hard = false): void {
    this.#lastError = (err as Error)?.message ?? String(err);
    if (this.#state === 'down' || this.#closed) return;
    if (!hard && ++this.#failures < this.#threshold) return;
    this.#failures = 0;
    this.#state = 'down';
    this.#downSince = Date.now();
    this.#outages++;
    this.#log.warn(
      { error: this.#lastError },
      'store: Redis is unreachable; failure policies apply until it answers again',
    );
    for (const fn of this.#listeners) fn('down');
    this.#timer = setInterval(() => void this.#tryProbe(), this.#interval);
    this.#timer.unref();
  }

  /** Redis answered (a probe, or the client's 'ready'). */
  recovered(): void {
    if (this.#state === 'up' || this.#closed) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    const ms = Date.now() - (this.#downSince ?? Date.now());
    this.#state = 'up';
    this.#downSince = undefined;
    this.#log.info({ downMs: ms }, 'store: Redis answers again');
    for (const fn of this.#listeners) fn('up');
  }

  async #tryProbe(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      await this.#probe();
      this.recovered();
    } catch (err) {
      this.#lastError = (err as Error)?.message ?? String(err);
    } finally {
      this.#probing = false;
    }
  }

  /** Told about each fallback (the metrics counter). */
  onFallback: ((feature: string) => void) | undefined;

  /** Counts a request answered by a failure policy. */
  countFallback(feature: string): void {
    this.#fallbacks[feature] = (this.#fallbacks[feature] ?? 0) + 1;
    this.onFallback?.(feature);
  }

  status(): HealthStatus {
    return {
      state: this.#state,
      downSince: this.#downSince === undefined ? null : new Date(this.#downSince).toISOString(),
      lastError: this.#lastError,
      outages: this.#outages,
      fallbacks: { ...this.#fallbacks },
    };
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
