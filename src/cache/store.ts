import type { OutgoingHttpHeaders } from 'node:http';

type Awaitable<T> = T | Promise<T>;

/**
 * One stored response. A Redis store keeps it as `encodeEntry` bytes; the memory store keeps the
 * object itself. Times are milliseconds on RuntimeDeps.clock.
 */
export interface CacheEntry {
  status: number;
  /** Response headers as a flat [name, value, ...] list, lower-case names, repeats kept. 0 for a Vary marker. */
  headers: string[];
  body: Buffer;
  storedAt: number;
  /** Fresh (X-Cache: Hit) before this. */
  expiresAt: number;
  /** Served stale while a background request refreshes it, before this. */
  swrUntil: number;
  /** Served stale when the integration fails, before this. */
  sieUntil: number;
  /** Age the backend reported, seconds. */
  age: number;
  /** Route key (GET /pets/{id}), for flushing one route. */
  route: string;
  /**
   * Set on a Vary marker (status 0): the request headers the backend varies on. The responses
   * themselves are stored under the key plus those headers' values.
   */
  vary?: string[];
  /** Memory-only: the response headers ready to send (built on first hit; never serialised). */
  prepared?: OutgoingHttpHeaders;
}

/** Which entries a flush removes; no filter = all of the stage. */
export interface FlushFilter {
  /** Entries stored for this route key, e.g. "GET /pets/{id}". */
  route?: string;
  /** Entries whose key starts with this, e.g. "GET /pets/" (keys start with METHOD and the stage-relative path). */
  keyPrefix?: string;
}

export interface StoreStats {
  entries: number;
  bytes: number;
  capacityBytes: number;
  evictions: number;
}

/**
 * A stage's cache storage. The embedded default is `MemoryCacheStore` (LRU by bytes); a Redis
 * implementation (cluster issue) implements the same interface with `encodeEntry`/`decodeEntry`.
 * Methods may answer synchronously; the cache policy only waits when given a promise.
 */
export interface CacheStore {
  /** The entry, unless missing or past its last stale-serving time (`now` ≥ max(swrUntil, sieUntil)). */
  get(key: string, now: number): Awaitable<CacheEntry | undefined>;
  /** Stores (replaces) an entry; false if it could not be stored (larger than the whole budget). */
  set(key: string, entry: CacheEntry): Awaitable<boolean>;
  delete(key: string): Awaitable<boolean>;
  /** Removes matching entries; returns how many. */
  flush(filter?: FlushFilter): Awaitable<number>;
  /** Changes the byte budget, evicting down to it. */
  resize(capacityBytes: number): void;
  stats(): StoreStats;
  close?(): Awaitable<void>;
}

/** Bookkeeping per entry beyond its bytes (Map slot, object, strings): keeps the budget honest for tiny entries. */
export const ENTRY_OVERHEAD = 200;

/** The bytes an entry is charged against the budget. */
export function entrySize(key: string, e: CacheEntry): number {
  let n = ENTRY_OVERHEAD + key.length * 2 + e.body.length + e.route.length * 2;
  for (const h of e.headers) n += h.length * 2;
  if (e.vary) for (const v of e.vary) n += v.length * 2;
  return n;
}

/** Last moment an entry may be served at all. */
export function keepUntil(e: CacheEntry): number {
  return Math.max(e.expiresAt, e.swrUntil, e.sieUntil);
}

/**
 * Compact serialisation for shared stores: u32 length of a JSON head, the head
 * ([status, headers, storedAt, expiresAt, swrUntil, sieUntil, age, route, vary]), then the raw body.
 */
export function encodeEntry(e: CacheEntry): Buffer {
  const head = Buffer.from(
    JSON.stringify([
      e.status,
      e.headers,
      e.storedAt,
      e.expiresAt,
      e.swrUntil,
      e.sieUntil,
      e.age,
      e.route,
      e.vary ?? null,
    ]),
  );
  const out = Buffer.allocUnsafe(4 + head.length + e.body.length);
  out.writeUInt32BE(head.length, 0);
  head.copy(out, 4);
  e.body.copy(out, 4 + head.length);
  return out;
}

export function decodeEntry(buf: Buffer): CacheEntry {
  const n = buf.readUInt32BE(0);
  const [status, headers, storedAt, expiresAt, swrUntil, sieUntil, age, route, vary] = JSON.parse(
    buf.subarray(4, 4 + n).toString('utf8'),
  ) as [number, string[], number, number, number, number, number, string, string[] | null];
  const e: CacheEntry = {
    status,
    headers,
    body: Buffer.from(buf.subarray(4 + n)),
    storedAt,
    expiresAt,
    swrUntil,
    sieUntil,
    age,
    route,
  };
  if (vary) e.vary = vary;
  return e;
}
