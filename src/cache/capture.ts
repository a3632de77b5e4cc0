/**
 * The cache's miss path (cache/policy.ts makes one per miss): the response observer that
 * tees an integration's response into a cache entry and settles the flight its waiters wait on.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Flight, FlightOutcome, StageCache } from './service.js';
import type { CacheEntry } from './store.js';
import type { GatewayErrorDef } from '../kernel/gateway-errors.js';
import type { RequestContext, Awaitable } from '../pipeline/context.js';
import type { ResponseObserver } from '../pipeline/response-observer.js';
import { variantKey } from './key.js';
import type { EffectiveCacheConfig } from './schema.js';

export type XCache = 'Hit' | 'Miss' | 'Stale' | 'Bypass';

/** Statuses that count as a failed fetch for staleIfErrorSeconds (RFC 5861 §4). */
const ERROR_STATUSES = new Set([500, 502, 503, 504]);
/** Headers never stored: recomputed per answer, or per caller. */
const NOT_STORED = new Set(['set-cookie', 'age', 'x-cache', 'warning', 'content-length', 'transfer-encoding']);
/**
 * Added when a caller may not invalidate and the strategy is SUCCEED_WITH_RESPONSE_HEADER. AWS adds
 * "a warning header"; its exact text is not recorded, so this uses RFC 9111's Warning 199.
 */
export const INVALIDATION_WARNING =
  '199 portico "Cache-Control: max-age=0 ignored: the caller may not invalidate the cache"';

export function headerText(v: OutgoingHttpHeaders[string]): string {
  return v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v);
}

/** What a capture needs of its cache policy (CachePolicy implements it). */
export interface CaptureOwner {
  readonly config: EffectiveCacheConfig;
  readonly metricsRoute: string;
  verdict(
    ctx: RequestContext,
    status: number,
    headers: OutgoingHttpHeaders,
  ): { store: boolean; share: boolean; vary: string[] | undefined };
  makeEntry(status: number, headers: string[], body: Buffer, age: number): CacheEntry;
  store(
    sc: StageCache,
    baseKey: string,
    entry: CacheEntry,
    vary: string[] | undefined,
    rawHeaders: readonly string[],
  ): Awaitable<string>;
  serve(ctx: RequestContext, entry: CacheEntry, xcache: XCache, warn: boolean): void;
}

/**
 * The observer of a miss: tags the response X-Cache: Miss, tees the body into memory up to
 * maxEntryBytes (giving up past it), stores it when the response completes and is cacheable, and
 * settles the flight its waiters are parked on.
 */
export class Capture implements ResponseObserver {
  #policy: CaptureOwner;
  #ctx: RequestContext;
  #sc: StageCache;
  #baseKey: string;
  #lookupKey: string;
  #flight: Flight | undefined;
  #staleForError: CacheEntry | undefined;
  #warn: boolean;
  #settled = false;
  #status = 0;
  #headers: string[] | undefined;
  #age = 0;
  #vary: string[] | undefined;
  #store = false;
  #share = false;
  #capturing = false;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(
    policy: CaptureOwner,
    ctx: RequestContext,
    sc: StageCache,
    baseKey: string,
    lookupKey: string,
    flight: Flight | undefined,
    staleForError: CacheEntry | undefined,
    warn: boolean,
  ) {
    this.#policy = policy;
    this.#ctx = ctx;
    this.#sc = sc;
    this.#baseKey = baseKey;
    this.#lookupKey = lookupKey;
    this.#flight = flight;
    this.#staleForError = staleForError;
    this.#warn = warn;
    // Whatever happens (an integration that answers without telling us, a crash), waiters are released.
    if (flight) ctx.res.once('close', () => this.#settle({ kind: 'retry' }));
  }

  onHead(status: number, headers: OutgoingHttpHeaders): boolean | void {
    if (this.#settled && this.#flight) return;
    const stale = this.#staleForError;
    if (stale && ERROR_STATUSES.has(status)) {
      this.#serveStale(stale);
      return false;
    }
    const v = this.#policy.verdict(this.#ctx, status, headers);
    this.#status = status;
    this.#store = v.store;
    this.#share = v.share;
    this.#vary = v.vary;
    const flat: string[] = [];
    for (const name in headers) {
      if (NOT_STORED.has(name)) continue;
      const value = headers[name];
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const x of value) flat.push(name, x);
      else flat.push(name, String(value));
    }
    this.#headers = flat;
    const age = Number(headerText(headers.age));
    this.#age = Number.isFinite(age) && age > 0 ? Math.floor(age) : 0;
    const length = headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
    this.#capturing = (v.store || v.share) && !(length > this.#policy.config.maxEntryBytes);
    headers['x-cache'] = 'Miss';
    if (this.#warn) headers.warning = INVALIDATION_WARNING;
  }

  onData(chunk: Buffer): void {
    if (!this.#capturing) return;
    this.#size += chunk.length;
    if (this.#size > this.#policy.config.maxEntryBytes) {
      // Past the entry limit: stop holding bytes; the response keeps streaming to the client.
      this.#capturing = false;
      this.#chunks = [];
      return;
    }
    this.#chunks.push(chunk);
  }

  onEnd(): void {
    if (!this.#headers || !this.#capturing) {
      this.#settle({ kind: 'retry' });
      return;
    }
    const entry = this.#policy.makeEntry(
      this.#status,
      this.#headers,
      Buffer.concat(this.#chunks, this.#size),
      this.#age,
    );
    this.#chunks = [];
    this.#capturing = false;
    const vary = this.#vary;
    const variant = vary ? variantKey(this.#baseKey, vary, this.#ctx.req.rawHeaders) : this.#baseKey;
    const share = (): void =>
      this.#settle(this.#share ? { kind: 'response', entry, vary, variant } : { kind: 'retry' });
    if (!this.#store) return share();
    const stored = this.#policy.store(this.#sc, this.#baseKey, entry, vary, this.#ctx.req.rawHeaders);
    if (stored instanceof Promise) {
      stored.then(share, (err: unknown) => {
        this.#ctx.snapshot.runtime.log.warn({ err }, 'cache store failed');
        share();
      });
    } else share();
  }

  onError(_err: Error, reply: GatewayErrorDef | undefined): boolean | void {
    if (this.#settled) return;
    this.#chunks = [];
    this.#capturing = false;
    const stale = this.#staleForError;
    if (reply && stale) {
      this.#serveStale(stale);
      return true;
    }
    this.#settle(reply ? { kind: 'error', reply } : { kind: 'retry' });
  }

  #serveStale(stale: CacheEntry): void {
    this.#sc.count(this.#policy.metricsRoute, 'stale');
    this.#policy.serve(this.#ctx, stale, 'Stale', this.#warn);
    this.#settle({ kind: 'stale', entry: stale });
  }

  #settle(o: FlightOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    const flight = this.#flight;
    if (!flight) return;
    if (this.#sc.flights.get(this.#lookupKey) === flight) this.#sc.flights.delete(this.#lookupKey);
    for (const w of flight.waiters) w(o);
  }
}
