import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { CacheService, type Flight, type FlightOutcome, type StageCache } from '../../cache/service.js';
import type { CacheEntry } from '../../cache/store.js';
import { GATEWAY_ERRORS, type GatewayErrorDef } from '../../gateway-responses.js';
import { type Identity, RequestContext } from '../../pipeline/context.js';
import type { Awaitable, Policy, Reply, RuntimeDeps } from '../../pipeline/policy.js';
import type { ResponseObserver } from '../../pipeline/response-observer.js';
import { DetachedResponse } from './detached.js';
import { cacheKey, hasOverrideHeader, type KeySpec, variantKey } from './key.js';
import type { EffectiveCacheConfig } from './schema.js';

/** A client's request to refetch and replace the entry (AWS per-key invalidation). */
const MAX_AGE_0 = /(?:^|,)\s*max-age\s*=\s*"?0+"?\s*(?:,|$)/i;
/** Backend Cache-Control directives that keep a response out of a shared cache (RFC 9111 §5.2.2). */
const PRIVATE = /(?:^|[\s,])(?:private|no-store|no-cache)(?:[\s,=]|$)/i;
/** Statuses that count as a failed fetch for staleIfErrorSeconds (RFC 5861 §4). */
const ERROR_STATUSES = new Set([500, 502, 503, 504]);
/** Headers never stored: recomputed per answer, or per caller. */
const NOT_STORED = new Set(['set-cookie', 'age', 'x-cache', 'warning', 'content-length', 'transfer-encoding']);

/**
 * Added when a caller may not invalidate and the strategy is SUCCEED_WITH_RESPONSE_HEADER. AWS adds
 * "a warning header"; its exact text is not recorded, so this uses RFC 9111's Warning 199.
 */
export const INVALIDATION_WARNING = '199 portico "Cache-Control: max-age=0 ignored: the caller may not invalidate the cache"';

type XCache = 'Hit' | 'Miss' | 'Stale' | 'Bypass';

function tag(value: XCache, warn: boolean): ResponseObserver {
  return {
    onHead(_status, headers) {
      headers['x-cache'] = value;
      if (warn) headers.warning = INVALIDATION_WARNING;
    },
    onData() {},
    onEnd() {},
    onError() {},
  };
}
const BYPASS = tag('Bypass', false);
const MISS = tag('Miss', false);
const MISS_WARN = tag('Miss', true);

function chain<T, R>(v: Awaitable<T>, f: (t: T) => Awaitable<R>): Awaitable<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}

function headerText(v: OutgoingHttpHeaders[string]): string {
  return v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v);
}

export interface CachePolicyInit {
  config: EffectiveCacheConfig;
  capacityMB: number;
  spec: KeySpec;
  api: string;
  stage: string;
  /** The route as the metrics service labels it (resource path, or $default). */
  metricsRoute: string;
  deps: RuntimeDeps;
}

/**
 * The response cache on one route in one stage ('cache' phase). A fresh entry is answered here
 * (returns true); a miss lets the integration run with a response observer that tees the streamed
 * response into the store; concurrent misses for one key wait for the first (coalescing).
 */
export class CachePolicy implements Policy {
  readonly name = 'cache';
  readonly phase = 'cache' as const;
  readonly config: EffectiveCacheConfig;
  readonly route: string;
  /** Route label for metrics. */
  readonly metricsRoute: string;
  #spec: KeySpec;
  #deps: RuntimeDeps;
  #api: string;
  #stage: string;
  #capacityMB: number;
  #sc: StageCache | undefined;
  #methods: ReadonlySet<string>;
  #statusOk: (status: number) => boolean;
  #invKeys: ReadonlySet<string>;
  #invScopes: ReadonlySet<string>;

  constructor(init: CachePolicyInit) {
    this.config = init.config;
    this.#spec = init.spec;
    this.route = init.spec.route;
    this.metricsRoute = init.metricsRoute;
    this.#deps = init.deps;
    this.#api = init.api;
    this.#stage = init.stage;
    this.#capacityMB = init.capacityMB;
    this.#methods = new Set(init.config.methods);
    const exact = new Set(init.config.statuses.filter((s): s is number => typeof s === 'number'));
    const classes = new Set(init.config.statuses.flatMap((s) => (typeof s === 'string' ? [Number(s[0])] : [])));
    this.#statusOk = (s) => exact.has(s) || classes.has(Math.floor(s / 100));
    this.#invKeys = new Set(init.config.invalidators.apiKeyIds);
    this.#invScopes = new Set(init.config.invalidators.scopes);
  }

  /** The stage cache, from the long-lived service (looked up at first use, never at compile). */
  get stageCache(): StageCache {
    return (this.#sc ??= CacheService.of(this.#deps.services).stage(this.#api, this.#stage, this.#capacityMB));
  }

  access(ctx: RequestContext): Awaitable<Reply | true | undefined> {
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    const sc = this.stageCache;
    if (!this.#methods.has(method) || hasOverrideHeader(this.#spec, ctx.req.headers)) {
      sc.count(this.metricsRoute, 'bypass');
      ctx.responseObserver = BYPASS;
      return undefined;
    }
    let warn = false;
    const cc = ctx.req.headers['cache-control'];
    const key = cacheKey(this.#spec, ctx, method);
    if (cc !== undefined && MAX_AGE_0.test(cc)) {
      if (!this.config.requireAuthorization || this.mayInvalidate(ctx.identity)) {
        // Refetch and replace the entry, on the caller's behalf: not coalesced, never stale.
        sc.count(this.metricsRoute, 'miss');
        ctx.responseObserver = ctx.method === 'HEAD' ? MISS : new Capture(this, ctx, sc, key, key, undefined, undefined, false);
        return undefined;
      }
      if (this.config.unauthorizedStrategy === 'FAIL_WITH_403') return { error: GATEWAY_ERRORS.CACHE_INVALIDATION_DENIED };
      warn = this.config.unauthorizedStrategy === 'SUCCEED_WITH_RESPONSE_HEADER';
    }
    return chain(sc.store.get(key, this.#deps.clock.now()), (found) => {
      if (found?.vary) {
        const vk = variantKey(key, found.vary, ctx.req.rawHeaders);
        return chain(sc.store.get(vk, this.#deps.clock.now()), (e) => this.#decide(ctx, sc, key, vk, e, warn));
      }
      return this.#decide(ctx, sc, key, key, found, warn);
    });
  }

  /** With requireAuthorization: an API key id or a JWT scope listed under `invalidators`. */
  mayInvalidate(identity: Identity): boolean {
    if (identity.apiKeyId !== undefined && this.#invKeys.has(identity.apiKeyId)) return true;
    if (identity.scopes) for (const s of identity.scopes) if (this.#invScopes.has(s)) return true;
    return false;
  }

  #decide(
    ctx: RequestContext,
    sc: StageCache,
    baseKey: string,
    lookupKey: string,
    entry: CacheEntry | undefined,
    warn: boolean,
  ): Awaitable<Reply | true | undefined> {
    const now = this.#deps.clock.now();
    if (entry && entry.status !== 0) {
      if (now < entry.expiresAt) {
        sc.count(this.metricsRoute, 'hit');
        this.serve(ctx, entry, 'Hit', warn);
        return true;
      }
      if (now < entry.swrUntil) {
        sc.count(this.metricsRoute, 'stale');
        this.serve(ctx, entry, 'Stale', warn);
        if (!sc.flights.has(lookupKey)) this.#revalidate(ctx, sc, baseKey, lookupKey);
        return true;
      }
    }
    const flight = sc.flights.get(lookupKey);
    if (flight) {
      sc.count(this.metricsRoute, 'coalesced');
      return this.#wait(ctx, sc, flight, baseKey, lookupKey, warn);
    }
    sc.count(this.metricsRoute, 'miss');
    if (ctx.method === 'HEAD') {
      // A HEAD answer has no body to store: pass it through.
      ctx.responseObserver = warn ? MISS_WARN : MISS;
      return undefined;
    }
    const staleForError = entry && entry.status !== 0 && now < entry.sieUntil ? entry : undefined;
    const f: Flight = { waiters: [] };
    sc.flights.set(lookupKey, f);
    ctx.responseObserver = new Capture(this, ctx, sc, baseKey, lookupKey, f, staleForError, warn);
    return undefined;
  }

  #wait(ctx: RequestContext, sc: StageCache, flight: Flight, baseKey: string, lookupKey: string, warn: boolean): Promise<Reply | true | undefined> {
    return new Promise((resolve) => {
      flight.waiters.push((o: FlightOutcome) => {
        if (ctx.res.destroyed) return resolve(true);
        if (o.kind === 'response' && !(o.vary && variantKey(baseKey, o.vary, ctx.req.rawHeaders) !== o.variant)) {
          this.serve(ctx, o.entry, 'Hit', warn);
          return resolve(true);
        }
        if (o.kind === 'stale') {
          this.serve(ctx, o.entry, 'Stale', warn);
          return resolve(true);
        }
        if (o.kind === 'error') return resolve({ error: o.reply });
        // Nothing to share: fetch for yourself (and store, if this answer is cacheable).
        ctx.responseObserver =
          ctx.method === 'HEAD' ? (warn ? MISS_WARN : MISS) : new Capture(this, ctx, sc, baseKey, lookupKey, undefined, undefined, warn);
        resolve(undefined);
      });
    });
  }

  /** Answers from an entry: its status, headers and body, plus Age and X-Cache. HEAD gets no body. */
  serve(ctx: RequestContext, entry: CacheEntry, xcache: XCache, warn: boolean): void {
    let prepared = entry.prepared;
    if (!prepared) {
      prepared = {};
      const h = entry.headers;
      for (let i = 0; i < h.length; i += 2) {
        const name = h[i] as string;
        const value = h[i + 1] as string;
        const had = prepared[name];
        prepared[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [String(had), value];
      }
      prepared['content-length'] = String(entry.body.length);
      entry.prepared = prepared;
    }
    const headers: OutgoingHttpHeaders = { ...prepared };
    headers.age = String(entry.age + Math.max(0, Math.floor((this.#deps.clock.now() - entry.storedAt) / 1000)));
    headers['x-cache'] = xcache;
    if (warn) headers.warning = INVALIDATION_WARNING;
    ctx.status = entry.status;
    ctx.res.writeHead(entry.status, ctx.finalizeHeaders(headers));
    ctx.endWith(entry.body);
  }

  /** What may happen to a response with this head: stored, and/or shared with coalesced waiters. */
  verdict(ctx: RequestContext, status: number, headers: OutgoingHttpHeaders): { store: boolean; share: boolean; vary: string[] | undefined } {
    if (ctx.method === 'HEAD') return { store: false, share: false, vary: undefined };
    const cookie = headers['set-cookie'] !== undefined;
    const priv = PRIVATE.test(headerText(headers['cache-control'])) || PRIVATE.test(headerText(headers.pragma));
    const varyText = headerText(headers.vary).toLowerCase();
    const vary = varyText ? [...new Set(varyText.split(',').map((v) => v.trim()).filter(Boolean))].sort() : undefined;
    if (vary?.includes('*')) return { store: false, share: false, vary };
    const store =
      this.#statusOk(status) && (!cookie || this.config.setCookie === 'strip') && (!priv || this.config.backendCacheControl === 'ignore');
    return { store, share: store || (!cookie && !priv), vary: vary?.length ? vary : undefined };
  }

  /** Stores a captured response (and a Vary marker when the backend varies); returns the key it went under. */
  store(sc: StageCache, baseKey: string, entry: CacheEntry, vary: string[] | undefined, rawHeaders: readonly string[]): Awaitable<string> {
    const key = vary ? variantKey(baseKey, vary, rawHeaders) : baseKey;
    const done = (): string => {
      sc.noteEvictions();
      return key;
    };
    if (!vary) return chain(sc.store.set(key, entry), done);
    const marker: CacheEntry = { ...entry, status: 0, headers: [], body: Buffer.alloc(0), vary };
    delete marker.prepared;
    return chain(sc.store.set(baseKey, marker), () => chain(sc.store.set(key, entry), done));
  }

  makeEntry(status: number, headers: string[], body: Buffer, age: number): CacheEntry {
    const now = this.#deps.clock.now();
    const expiresAt = now + this.config.ttlSeconds * 1000;
    return {
      status,
      headers,
      body,
      storedAt: now,
      expiresAt,
      swrUntil: expiresAt + this.config.staleWhileRevalidateSeconds * 1000,
      sieUntil: expiresAt + this.config.staleIfErrorSeconds * 1000,
      age,
      route: this.route,
    };
  }

  /**
   * stale-while-revalidate: refetch in the background through the route's integration, with the
   * triggering request's method, path and headers, into a response nobody reads but the cache.
   */
  #revalidate(ctx: RequestContext, sc: StageCache, baseKey: string, lookupKey: string): void {
    const h = ctx.req.headers;
    if (ctx.method !== 'GET' || h['content-length'] !== undefined || h['transfer-encoding'] !== undefined || !ctx.pipeline) return;
    const flight: Flight = { waiters: [] };
    sc.flights.set(lookupKey, flight);
    const bg = new RequestContext(ctx.req, new DetachedResponse() as unknown as ServerResponse, ctx.snapshot, {
      requestId: randomUUID(),
      peerIp: ctx.peerIp,
      clientIp: ctx.clientIp,
      host: ctx.host,
      rawPath: ctx.rawPath,
      rawQuery: ctx.rawQuery,
      localPort: ctx.localPort,
    });
    bg.api = ctx.api;
    bg.stage = ctx.stage;
    bg.route = ctx.route;
    bg.params = ctx.params;
    bg.restPath = ctx.restPath;
    bg.pipeline = ctx.pipeline;
    bg.identity = ctx.identity;
    bg.upstreamHeaders = ctx.upstreamHeaders;
    bg.responseObserver = new Capture(this, bg, sc, baseKey, lookupKey, flight, undefined, false);
    try {
      ctx.pipeline.integration.invoke(bg);
    } catch (err) {
      this.#deps.log.error({ err, requestId: ctx.requestId }, 'cache revalidation failed');
      bg.res.destroy();
    }
  }
}

/**
 * The observer of a miss: tags the response X-Cache: Miss, tees the body into memory up to
 * maxEntryBytes (giving up past it), stores it when the response completes and is cacheable, and
 * settles the flight its waiters are parked on.
 */
class Capture implements ResponseObserver {
  #policy: CachePolicy;
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
    policy: CachePolicy,
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
    const entry = this.#policy.makeEntry(this.#status, this.#headers, Buffer.concat(this.#chunks, this.#size), this.#age);
    this.#chunks = [];
    this.#capturing = false;
    const vary = this.#vary;
    const variant = vary ? variantKey(this.#baseKey, vary, this.#ctx.req.rawHeaders) : this.#baseKey;
    const share = (): void => this.#settle(this.#share ? { kind: 'response', entry, vary, variant } : { kind: 'retry' });
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
