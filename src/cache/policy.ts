import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { EngineResponse } from '../server/engine/types.js';
import { CacheService, type Flight, type FlightOutcome, type StageCache } from './service.js';
import type { CacheEntry } from './store.js';
import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import { type Identity, RequestContext, Awaitable, Policy, Reply, RuntimeDeps } from '../pipeline/context.js';
import type { ResponseObserver } from '../pipeline/response-observer.js';
import { hasBodyFraming } from '../server/request-checks.js';
import { Capture, type CaptureOwner, headerText, INVALIDATION_WARNING, type XCache } from './capture.js';
import { DetachedResponse } from './detached.js';
import { cacheKey, hasOverrideHeader, type KeySpec, variantKey } from './key.js';
import type { EffectiveCacheConfig } from './schema.js';

/** A client's request to refetch and replace the entry (AWS per-key invalidation). */
const MAX_AGE_0 = /(?:^|,)\s*max-age\s*=\s*"?0+"?\s*(?:,|$)/i;
/** Backend Cache-Control directives that keep a response out of a shared cache (RFC 9111 §5.2.2). */
const PRIVATE = /(?:^|[\s,])(?:private|no-store|no-cache)(?:[\s,=]|$)/i;

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
export { INVALIDATION_WARNING };

export class CachePolicy implements Policy, CaptureOwner {
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
        ctx.responseObserver =
          ctx.method === 'HEAD' ? MISS : new Capture(this, ctx, sc, key, key, undefined, undefined, false);
        return undefined;
      }
      if (this.config.unauthorizedStrategy === 'FAIL_WITH_403')
        return { error: GATEWAY_ERRORS.CACHE_INVALIDATION_DENIED };
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

  #wait(
    ctx: RequestContext,
    sc: StageCache,
    flight: Flight,
    baseKey: string,
    lookupKey: string,
    warn: boolean,
  ): Promise<Reply | true | undefined> {
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
          ctx.method === 'HEAD'
            ? warn
              ? MISS_WARN
              : MISS
            : new Capture(this, ctx, sc, baseKey, lookupKey, undefined, undefined, warn);
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
  verdict(
    ctx: RequestContext,
    status: number,
    headers: OutgoingHttpHeaders,
  ): { store: boolean; share: boolean; vary: string[] | undefined } {
    if (ctx.method === 'HEAD') return { store: false, share: false, vary: undefined };
    const cookie = headers['set-cookie'] !== undefined;
    const priv = PRIVATE.test(headerText(headers['cache-control'])) || PRIVATE.test(headerText(headers.pragma));
    const varyText = headerText(headers.vary).toLowerCase();
    const vary = varyText
      ? [
          ...new Set(
            varyText
              .split(',')
              .map((v) => v.trim())
              .filter(Boolean),
          ),
        ].sort()
      : undefined;
    if (vary?.includes('*')) return { store: false, share: false, vary };
    const store =
      this.#statusOk(status) &&
      (!cookie || this.config.setCookie === 'strip') &&
      (!priv || this.config.backendCacheControl === 'ignore');
    return { store, share: store || (!cookie && !priv), vary: vary?.length ? vary : undefined };
  }

  /** Stores a captured response (and a Vary marker when the backend varies); returns the key it went under. */
  store(
    sc: StageCache,
    baseKey: string,
    entry: CacheEntry,
    vary: string[] | undefined,
    rawHeaders: readonly string[],
  ): Awaitable<string> {
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
    if (ctx.method !== 'GET' || hasBodyFraming(ctx.req.headers) || !ctx.pipeline) return;
    const flight: Flight = { waiters: [] };
    sc.flights.set(lookupKey, flight);
    const bg = new RequestContext(ctx.req, new DetachedResponse() as unknown as EngineResponse, ctx.snapshot, {
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
