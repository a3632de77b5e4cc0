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

/** The part of the Store (src/store/store.ts) a shared counter needs. */
export interface CounterBackend {
  readonly kind: string;
  increment(key: string, amount: number, expiresAtMs: number): Promise<number>;
}

/**
 * Rate counts shared by every node of a cluster through the Store (Redis, or the primary of
 * `--workers N`). The answer stays synchronous: it is the larger of this node's own sliding count and
 * the cluster's count for the current window as last reported by the store (plus this hit). Each
 * hit is added to the store in the background, so the cluster view lags one round trip, as AWS
 * WAF's own rate-based rules lag their fleet-wide aggregation.
 */
export class SharedRateCounterStore implements RateCounterStore {
  readonly #local = new MemoryRateCounterStore();
  readonly #backend: CounterBackend;
  readonly #onError: (err: unknown) => void;
  /** key → the cluster's count in the window starting at `start`, as last reported. */
  readonly #seen = new Map<string, { start: number; value: number }>();

  constructor(backend: CounterBackend, onError: (err: unknown) => void = () => undefined) {
    this.#backend = backend;
    this.#onError = onError;
  }

  hit(key: string, windowMs: number, nowMs: number): number {
    const local = this.#local.hit(key, windowMs, nowMs);
    const start = nowMs - (nowMs % windowMs);
    const seen = this.#seen.get(key);
    this.#backend.increment(`waf:${key}:${start}`, 1, start + 2 * windowMs).then((value) => {
      const cur = this.#seen.get(key);
      if (!cur || cur.start < start || (cur.start === start && cur.value < value))
        this.#seen.set(key, { start, value });
    }, this.#onError);
    const cluster = seen && seen.start === start ? seen.value + 1 : 0;
    return Math.max(local, cluster);
  }
}
