/**
 * Counters for rate-based rules. The engine is synchronous, so a counter answers at once from what
 * this node knows; a cluster store (Redis) implements the same interface by counting locally and
 * merging other nodes' counts in the background, which is how AWS WAF's own rate-based rules behave
 * (counts are aggregated across its fleet with a short delay). Register one as the "wafCounters"
 * service to replace the in-memory default.
 */
export interface RateCounterStore {
  /** Adds one hit for `key` at `nowMs` and returns the hits over the `windowMs` ending now (sliding). */
  hit(key: string, windowMs: number, nowMs: number): number;
}

/** Service name under which a shared RateCounterStore may be registered (RuntimeDeps.services). */
export const WAF_COUNTERS_SERVICE = 'wafCounters';

interface Slot {
  /** Start of the current fixed window. */
  start: number;
  current: number;
  previous: number;
}

/**
 * In-memory sliding-window counter: two fixed windows, the previous one weighted by how much of it
 * still overlaps the sliding window (the Cloudflare/nginx approximation). O(1) time and memory per
 * key; the least recently used keys are dropped past `maxKeys`.
 */
export class MemoryRateCounterStore implements RateCounterStore {
  #slots = new Map<string, Slot>();
  readonly #maxKeys: number;

  constructor(maxKeys = 100_000) {
    this.#maxKeys = maxKeys;
  }

  hit(key: string, windowMs: number, nowMs: number): number {
    const start = nowMs - (nowMs % windowMs);
    let s = this.#slots.get(key);
    if (s) {
      this.#slots.delete(key); // re-insert: Map order is recency order
      if (s.start !== start) {
        s.previous = s.start === start - windowMs ? s.current : 0;
        s.current = 0;
        s.start = start;
      }
    } else {
      s = { start, current: 0, previous: 0 };
      if (this.#slots.size >= this.#maxKeys) {
        const oldest = this.#slots.keys().next();
        if (!oldest.done) this.#slots.delete(oldest.value);
      }
    }
    this.#slots.set(key, s);
    s.current++;
    const overlap = 1 - (nowMs - start) / windowMs;
    return Math.floor(s.previous * overlap) + s.current;
  }

  get size(): number {
    return this.#slots.size;
  }
}
