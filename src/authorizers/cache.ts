import type { Clock } from '../clock.js';
import type { SharedTier } from './shared-cache.js';

/**
 * Authorizer results by key, with a TTL read from the injected clock and a size bound: when full,
 * the least recently used entry goes (a Map keeps insertion order; a hit re-inserts).
 */
export class ResultCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #clock: Clock;
  readonly #maxEntries: number;

  /** A tier shared by every node (Redis store: RedisResultTier), asked on a local miss. */
  shared: SharedTier<V> | undefined;

  constructor(clock: Clock, maxEntries = 10000) {
    this.#clock = clock;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    if (e.expiresAt <= this.#clock.now()) return undefined;
    this.#entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
