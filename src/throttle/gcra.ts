import type { Clock } from '../clock.js';

/** A token bucket: `rate` tokens per second refill it, up to `burst` tokens. AWS: rateLimit, burstLimit. */
export interface Limit {
  readonly rate: number;
  readonly burst: number;
}

/** One bucket a request must pass: a stable name (it survives reloads) and its limit. */
export interface Level {
  readonly key: string;
  readonly limit: Limit;
  /** Shown in the RateLimit headers ("plan", "route", "stage", "global"). */
  readonly label: string;
}

export type Verdict =
  | {
      readonly ok: true;
      /** Tokens left in the tightest bucket, and that bucket's level. */ readonly remaining: number;
      readonly level: Level | undefined;
    }
  | {
      readonly ok: false;
      /** When one token will be there again. */ readonly retryAfterMs: number;
      readonly level: Level;
    };

/** Float slack for sums of emission intervals (1000/3 ms is not exact). */
const EPS = 1e-6;
const SWEEP_EVERY = 4096;

/**
 * Token buckets done as GCRA (the generic cell rate algorithm): each bucket is one number, its
 * theoretical arrival time (TAT). A request at `now` is admitted when TAT + T - now <= burst * T,
 * where T = 1000 / rate ms; admitting moves TAT on by T. Equivalent to a token bucket refilled
 * continuously, so no window edge exists where two bursts could meet: in any interval of length d,
 * at most burst + rate * d requests pass.
 *
 * Checks are synchronous and all-or-nothing over a request's levels, so they are exact under any
 * concurrency within the process. Full buckets are forgotten (a full bucket equals a new one).
 */
export class RateLimiter {
  #tat = new Map<string, number>();
  #clock: Clock;
  #ops = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Number of buckets held (full ones are swept now and then). */
  get size(): number {
    return this.#tat.size;
  }

  /**
   * Takes one token from every level's bucket if each has one; otherwise takes none and names the
   * first level (in the given order) that is empty.
   */
  attempt(levels: readonly Level[]): Verdict {
    const now = this.#clock.now();
    if (++this.#ops % SWEEP_EVERY === 0) this.sweep(now);
    let remaining = Infinity;
    let tightest: Level | undefined;
    for (const level of levels) {
      const { rate, burst } = level.limit;
      const t = 1000 / rate;
      const tat = Math.max(this.#tat.get(level.key) ?? now, now);
      const over = tat + t - now - burst * t;
      if (over > EPS) return { ok: false, retryAfterMs: over, level };
      const left = Math.floor((burst * t - (tat + t - now)) / t + EPS);
      if (left < remaining) {
        remaining = left;
        tightest = level;
      }
    }
    for (const level of levels) {
      const t = 1000 / level.limit.rate;
      this.#tat.set(level.key, Math.max(this.#tat.get(level.key) ?? now, now) + t);
    }
    return { ok: true, remaining: remaining === Infinity ? 0 : remaining, level: tightest };
  }

  /** Tokens a bucket holds now (burst when unknown). */
  available(level: Level): number {
    const now = this.#clock.now();
    const t = 1000 / level.limit.rate;
    const tat = Math.max(this.#tat.get(level.key) ?? now, now);
    return Math.floor((level.limit.burst * t - (tat - now)) / t + EPS);
  }

  /** Forgets every bucket (shutdown). */
  close(): void {
    this.#tat.clear();
  }

  /** Drops buckets that are full again. */
  sweep(now = this.#clock.now()): void {
    for (const [key, tat] of this.#tat) if (tat <= now) this.#tat.delete(key);
  }
}
