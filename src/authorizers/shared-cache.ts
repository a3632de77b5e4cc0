import { createHash } from 'node:crypto';
import { withTimeout } from '../store/health.js';
import type { RedisStore } from '../store/redis.js';

/** The shared second tier of a ResultCache: what another node's authorizer decided, with its time left. */
export interface SharedTier<V> {
  get(key: string): Promise<{ value: V; ttlMs: number } | undefined>;
  set(key: string, value: V, ttlMs: number): void;
}

/** JSON with RegExp (IAM policy resources are compiled patterns). */
function encode(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof RegExp ? { $re: x.source, flags: x.flags } : x));
}
function decode<V>(s: string): V {
  return JSON.parse(s, (_k, x: unknown) => {
    const r = x as { $re?: unknown; flags?: unknown } | null;
    return r && typeof r === 'object' && typeof r.$re === 'string'
      ? new RegExp(r.$re, typeof r.flags === 'string' ? r.flags : '')
      : x;
  }) as V;
}

/**
 * Authorizer results in Redis, shared by every node: a token one node's authorizer allowed is not
 * sent to the authorizer again by another node until its TTL runs out. The identity values (tokens)
 * are hashed into the Redis key, never stored. A Redis that can't answer is a miss (the authorizer
 * is asked), and a failed write is dropped.
 */
export class RedisResultTier<V> implements SharedTier<V> {
  readonly #redis: RedisStore;
  readonly #ns: string;

  constructor(redis: RedisStore, cacheName: string) {
    this.#redis = redis;
    this.#ns = `${redis.prefix}authz:${createHash('sha256').update(cacheName).digest('hex').slice(0, 16)}:`;
  }

  #key(key: string): string {
    return this.#ns + createHash('sha256').update(key).digest('base64url');
  }

  async get(key: string): Promise<{ value: V; ttlMs: number } | undefined> {
    const h = this.#redis.health;
    if (!h.up) return undefined;
    try {
      const k = this.#key(key);
      const r = await withTimeout(
        this.#redis.client.multi().get(k).pttl(k).exec(),
        this.#redis.config.commandTimeoutMs,
      );
      h.succeeded();
      const v = r?.[0]?.[1] as string | null | undefined;
      const ttl = r?.[1]?.[1] as number | undefined;
      if (typeof v !== 'string' || typeof ttl !== 'number' || ttl <= 0) return undefined;
      return { value: decode<V>(v), ttlMs: ttl };
    } catch (err) {
      h.fail(err);
      return undefined;
    }
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0 || !this.#redis.health.up) return;
    withTimeout(
      this.#redis.client.set(this.#key(key), encode(value), 'PX', Math.ceil(ttlMs)),
      this.#redis.config.commandTimeoutMs,
    ).catch((err: unknown) => this.#redis.health.fail(err));
  }
}
