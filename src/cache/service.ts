import { defineService, type ServiceRegistry } from '../kernel/services.js';
import { METRICS } from '../observability/keys.js';
import { STORE } from '../store/keys.js';
import type { GatewayErrorDef } from '../kernel/gateway-errors.js';
import type { Service, ServiceDef } from '../services.js';
import { stageCacheConfig } from './schema.js';
import { MemoryCacheStore } from './memory-store.js';
import { RedisStore } from '../store/redis.js';
import { RedisCacheStore } from './redis-store.js';
import type { CacheEntry, CacheStore, FlushFilter, StoreStats } from './store.js';
import type { Snapshot } from '../pipeline/context.js';

export const CACHE_SERVICE = defineService<CacheService>('cache');
const MIB = 1024 * 1024;

/** How a coalesced miss ended, as its waiters see it. */
export type FlightOutcome =
  /** The leader's complete response (stored or not), shareable with requests of the same key. */
  | { kind: 'response'; entry: CacheEntry; vary: readonly string[] | undefined; variant: string }
  /** The fetch failed and a stale copy is served instead. */
  | { kind: 'stale'; entry: CacheEntry }
  /** The fetch failed with this gateway response. */
  | { kind: 'error'; reply: GatewayErrorDef }
  /** Nothing to share (not shareable, too large, the leader's client left): fetch for yourself. */
  | { kind: 'retry' };

/** One upstream request in progress for a key, and the requests waiting for it. */
export interface Flight {
  waiters: ((o: FlightOutcome) => void)[];
}

/** What the metrics service (observability) offers; called when it is there. */
interface CacheMetricsSink {
  cacheCounter(
    api: string,
    stage: string,
    route: string,
    event: 'hit' | 'miss' | 'eviction',
  ): { inc(n?: number): void };
}

export interface StageCacheStats extends StoreStats {
  api: string;
  stage: string;
  hits: number;
  misses: number;
  stale: number;
  bypass: number;
  /** Requests that waited for another request's upstream fetch instead of making their own. */
  coalesced: number;
}

/** One API stage's cache: its store, the misses in flight, and its counters. Lives across reloads. */
export class StageCache {
  readonly api: string;
  readonly stage: string;
  readonly store: CacheStore;
  readonly flights = new Map<string, Flight>();
  hits = 0;
  misses = 0;
  stale = 0;
  bypass = 0;
  coalesced = 0;
  #metrics: CacheMetricsSink | undefined;
  /** Per route label, its hit and miss counters ([hit, miss]): a hit hashes no labels. */
  #counters = new Map<string, [{ inc(n?: number): void }, { inc(n?: number): void }]>();
  #evictionsSeen = 0;

  constructor(api: string, stage: string, store: CacheStore, metrics: CacheMetricsSink | undefined) {
    this.api = api;
    this.stage = stage;
    this.store = store;
    this.#metrics = metrics;
  }

  count(route: string, event: 'hit' | 'miss' | 'stale' | 'bypass' | 'coalesced'): void {
    if (event === 'hit') this.hits++;
    else if (event === 'miss') this.misses++;
    else if (event === 'stale') this.stale++;
    else if (event === 'bypass') this.bypass++;
    else this.coalesced++;
    // AWS counts a stale answer as a hit (it did not reach the backend) and a coalesced one as a miss.
    const m = event === 'stale' ? 'hit' : event === 'coalesced' ? 'miss' : event;
    const metrics = this.#metrics;
    if (m === 'bypass' || !metrics) return;
    let c = this.#counters.get(route);
    if (!c) {
      c = [
        metrics.cacheCounter(this.api, this.stage, route, 'hit'),
        metrics.cacheCounter(this.api, this.stage, route, 'miss'),
      ];
      this.#counters.set(route, c);
    }
    c[m === 'hit' ? 0 : 1].inc();
  }

  /** Reports evictions since the last call (after a store write). */
  noteEvictions(): void {
    const total = this.store.stats().evictions;
    const n = total - this.#evictionsSeen;
    if (n > 0) {
      this.#evictionsSeen = total;
      this.#metrics?.cacheCounter(this.api, this.stage, '', 'eviction').inc(n);
    }
  }

  stats(): StageCacheStats {
    return {
      api: this.api,
      stage: this.stage,
      ...this.store.stats(),
      hits: this.hits,
      misses: this.misses,
      stale: this.stale,
      bypass: this.bypass,
      coalesced: this.coalesced,
    };
  }
}

/**
 * The response cache service: one StageCache per `api/stage`, created on first use and kept across
 * reloads (a reload that changes `capacityMB` resizes it; one that removes the stage drops it).
 */
export class CacheService implements Service {
  #stages = new Map<string, StageCache>();
  #makeStore: (capacityBytes: number, id: string) => CacheStore;
  #services: ServiceRegistry | undefined;

  constructor(
    opts: { makeStore?: (capacityBytes: number, id: string) => CacheStore; services?: ServiceRegistry } = {},
  ) {
    this.#makeStore = opts.makeStore ?? ((c) => new MemoryCacheStore(c));
    this.#services = opts.services;
  }

  /** The gateway's cache service, created and registered on first use if the gateway did not start one. */
  static of(services: ServiceRegistry): CacheService {
    const s = services.getOrCreate(CACHE_SERVICE, () => new CacheService({ services }));
    return s;
  }

  /** The stage's cache, created with this budget if new. */
  stage(api: string, stage: string, capacityMB: number): StageCache {
    const id = `${api}/${stage}`;
    let sc = this.#stages.get(id);
    if (!sc) {
      const metrics = this.#services?.get(METRICS) as Partial<CacheMetricsSink> | undefined;
      const sink = typeof metrics?.cacheCounter === 'function' ? (metrics as CacheMetricsSink) : undefined;
      sc = new StageCache(api, stage, this.#makeStore(Math.floor(capacityMB * MIB), id), sink);
      this.#stages.set(id, sc);
    }
    return sc;
  }

  find(api: string, stage: string): StageCache | undefined {
    return this.#stages.get(`${api}/${stage}`);
  }

  onSnapshot(snapshot: Snapshot): void {
    for (const [id, sc] of this.#stages) {
      const api = snapshot.config.apis.find((a) => a.name === sc.api);
      const stage = api?.stages[sc.stage];
      if (!stage) {
        this.#stages.delete(id);
        void sc.store.close?.();
        continue;
      }
      sc.store.resize(Math.floor(stageCacheConfig(stage).capacityMB * MIB));
      sc.noteEvictions();
    }
  }

  stats(): StageCacheStats[] {
    return [...this.#stages.values()].map((s) => s.stats());
  }

  async close(): Promise<void> {
    for (const sc of this.#stages.values()) await sc.store.close?.();
    this.#stages.clear();
  }

  /** Flushes a stage, or the part of it a filter selects; returns how many entries went. */
  async flush(api: string, stage: string, filter: FlushFilter = {}): Promise<number> {
    const sc = this.find(api, stage);
    return sc ? await sc.store.flush(filter) : 0;
  }
}

export const CACHE_SERVICE_DEF: ServiceDef = {
  name: CACHE_SERVICE,
  deps: [STORE],
  start: (runtime) => {
    // With the Redis store the cache is shared by every node (docs/cluster.md); else in memory.
    const store = runtime.services.get(STORE);
    if (store instanceof RedisStore) {
      return new CacheService({
        services: runtime.services,
        makeStore: (cap, id) => new RedisCacheStore(store, id, cap, runtime.clock),
      });
    }
    return new CacheService({ services: runtime.services });
  },
};
