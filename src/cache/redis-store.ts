import type { Clock } from '../clock.js';
import { withTimeout } from '../store/health.js';
import type { RedisStore } from '../store/redis.js';
import {
  type CacheEntry,
  type CacheStore,
  decodeEntry,
  encodeEntry,
  entrySize,
  type FlushFilter,
  keepUntil,
  type StoreStats,
} from './store.js';

/**
 * Store with a byte budget per namespace, in one script: the entry (SET PX until its last stale
 * moment), its recency (a sorted set), its charged size and route (a hash), and the namespace's
 * byte total; evicts least recently used entries until the total fits. All keys of a namespace share
 * a hash tag, so this runs in one slot of a Redis Cluster.
 * KEYS: lru, meta, bytes; ARGV: key, payload, ttlMs, size, route, now, capacity, entry key prefix.
 * Returns {stored 0|1, bytes, entries, evicted}.
 */
const SET_LUA = `
local function sizeOf(m) if not m then return 0 end return tonumber(string.match(m, '^(%d+)')) end
local ek = ARGV[8] .. ARGV[1]
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0') - sizeOf(redis.call('HGET', KEYS[2], ARGV[1]))
local size = tonumber(ARGV[4])
local cap = tonumber(ARGV[7])
if size > cap then
  redis.call('DEL', ek)
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('SET', KEYS[3], bytes)
  return {0, bytes, redis.call('ZCARD', KEYS[1]), 0}
end
redis.call('SET', ek, ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[6], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4] .. '\\t' .. ARGV[5])
bytes = bytes + size
local evicted = 0
while bytes > cap do
  local v = redis.call('ZPOPMIN', KEYS[1])
  if #v == 0 then break end
  bytes = bytes - sizeOf(redis.call('HGET', KEYS[2], v[1]))
  redis.call('HDEL', KEYS[2], v[1])
  redis.call('DEL', ARGV[8] .. v[1])
  evicted = evicted + 1
end
redis.call('SET', KEYS[3], bytes)
return {1, bytes, redis.call('ZCARD', KEYS[1]), evicted}
`;

/** The entry and a recency touch. KEYS: lru; ARGV: key, now, entry key prefix. */
const GET_LUA = `
local v = redis.call('GET', ARGV[3] .. ARGV[1])
if v then redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1]) end
return v
`;

/** Removes entries by key. KEYS: lru, meta, bytes; ARGV: entry key prefix, keys... Returns how many existed. */
const DEL_LUA = `
local function sizeOf(m) if not m then return 0 end return tonumber(string.match(m, '^(%d+)')) end
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0')
local n = 0
for i = 2, #ARGV do
  local m = redis.call('HGET', KEYS[2], ARGV[i])
  if m then
    n = n + 1
    bytes = bytes - sizeOf(m)
    redis.call('HDEL', KEYS[2], ARGV[i])
  end
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('DEL', ARGV[1] .. ARGV[i])
end
redis.call('SET', KEYS[3], bytes)
return n
`;

interface Scripts {
  porticoCacheSet(
    lru: string,
    meta: string,
    bytes: string,
    ...argv: (string | Buffer | number)[]
  ): Promise<[number, number, number, number]>;
  porticoCacheGetBuffer(lru: string, key: string, now: number, prefix: string): Promise<Buffer | null>;
  porticoCacheDel(lru: string, meta: string, bytes: string, prefix: string, ...keys: string[]): Promise<number>;
}

const defined = new WeakSet<object>();

/**
 * A stage's response cache in Redis, shared by every node on it: a response one node stored is a
 * hit on the others. Entries use `encodeEntry`; expiry is the entry's last stale moment on the
 * gateway clock. While Redis is unreachable every lookup is a miss and nothing is stored (the cache
 * fails open: requests go to the backend). `stats()` is this node's view as of its last write.
 */
export class RedisCacheStore implements CacheStore {
  readonly #redis: RedisStore;
  readonly #clock: Clock;
  readonly #ns: string;
  #capacity: number;
  #bytes = 0;
  #entries = 0;
  #evictions = 0;

  constructor(redis: RedisStore, namespace: string, capacityBytes: number, clock: Clock) {
    this.#redis = redis;
    this.#clock = clock;
    this.#capacity = capacityBytes;
    this.#ns = `${redis.prefix}{cache:${namespace}}:`;
    const c = redis.client;
    if (!defined.has(c)) {
      defined.add(c);
      c.defineCommand('porticoCacheSet', { numberOfKeys: 3, lua: SET_LUA });
      c.defineCommand('porticoCacheGet', { numberOfKeys: 1, lua: GET_LUA });
      c.defineCommand('porticoCacheDel', { numberOfKeys: 3, lua: DEL_LUA });
    }
  }

  get #scripts(): Scripts {
    return this.#redis.client as unknown as Scripts;
  }

  async #run<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
    const h = this.#redis.health;
    if (!h.up) {
      h.countFallback('cache');
      return fallback;
    }
    try {
      const v = await withTimeout(fn(), this.#redis.config.commandTimeoutMs);
      h.succeeded();
      return v;
    } catch (err) {
      h.fail(err);
      return fallback;
    }
  }

  async get(key: string, now: number): Promise<CacheEntry | undefined> {
    const buf = await this.#run(
      () => this.#scripts.porticoCacheGetBuffer(`${this.#ns}lru`, key, now, `${this.#ns}e:`),
      null,
    );
    if (!buf) return undefined;
    const e = decodeEntry(buf);
    return now >= keepUntil(e) ? undefined : e;
  }

  async set(key: string, entry: CacheEntry): Promise<boolean> {
    const now = this.#clock.now();
    const ttl = Math.max(1, Math.ceil(keepUntil(entry) - now));
    const size = entrySize(key, entry);
    const r = await this.#run(
      () =>
        this.#scripts.porticoCacheSet(
          `${this.#ns}lru`,
          `${this.#ns}meta`,
          `${this.#ns}bytes`,
          key,
          encodeEntry(entry),
          ttl,
          size,
          entry.route,
          now,
          this.#capacity,
          `${this.#ns}e:`,
        ),
      undefined,
    );
    if (!r) return false;
    [, this.#bytes, this.#entries] = r;
    this.#evictions += r[3];
    return r[0] === 1;
  }

  async delete(key: string): Promise<boolean> {
    return (
      (await this.#run(
        () =>
          this.#scripts.porticoCacheDel(`${this.#ns}lru`, `${this.#ns}meta`, `${this.#ns}bytes`, `${this.#ns}e:`, key),
        0,
      )) > 0
    );
  }

  async flush(filter: FlushFilter = {}): Promise<number> {
    const meta = await this.#run(() => this.#redis.client.hgetall(`${this.#ns}meta`), {} as Record<string, string>);
    const keys = Object.keys(meta).filter((k) => {
      const route = (meta[k] as string).slice((meta[k] as string).indexOf('\t') + 1);
      return (
        (filter.route === undefined || route === filter.route) &&
        (filter.keyPrefix === undefined || k.startsWith(filter.keyPrefix))
      );
    });
    let n = 0;
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      n += await this.#run(
        () =>
          this.#scripts.porticoCacheDel(
            `${this.#ns}lru`,
            `${this.#ns}meta`,
            `${this.#ns}bytes`,
            `${this.#ns}e:`,
            ...batch,
          ),
        0,
      );
    }
    return n;
  }

  /** The new budget applies from the next store (on any node: each passes its own budget). */
  resize(capacityBytes: number): void {
    this.#capacity = capacityBytes;
  }

  stats(): StoreStats {
    return { entries: this.#entries, bytes: this.#bytes, capacityBytes: this.#capacity, evictions: this.#evictions };
  }
}
