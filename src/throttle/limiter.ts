import type { Level, Verdict } from './gcra.js';

/**
 * What the throttle policy needs from a limiter: an all-or-nothing check over a request's levels.
 * The embedded RateLimiter (gcra.ts) answers synchronously; the Redis one (redis.ts) with a promise,
 * which rejects with StoreUnavailableError only under the `closed` failure policy.
 */
export interface Limiter {
  attempt(levels: readonly Level[]): Verdict | Promise<Verdict>;
  close(): void;
}
