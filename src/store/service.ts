import { resolve } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import type { ServiceDef } from '../services.js';
import { METRICS } from '../observability/keys.js';
import { STORE } from './keys.js';
import { IpcStore, isPorticoWorker, primaryChannel } from '../cluster/ipc.js';
import { EmbeddedStore } from './embedded.js';
import { RedisStore } from './redis.js';

export const STORE_FILE = 'portico.db';

/** prom-client metrics of the Redis store, on the metrics service's registry when it runs. */
function registerMetrics(store: RedisStore, registry: Registry): void {
  const fallbacks = new Counter({
    name: 'portico_store_fallbacks_total',
    help: 'Requests answered by a store failure policy while Redis was unavailable, by feature and policy (e.g. throttle_local, quota_open).',
    labelNames: ['feature'],
    registers: [registry],
  });
  store.health.onFallback = (feature) => fallbacks.inc({ feature });
  new Gauge({
    name: 'portico_store_degraded',
    help: '1 while Redis is unreachable and failure policies apply, else 0.',
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.set(store.health.up ? 0 : 1);
    },
  });
  new Counter({
    name: 'portico_store_outages_total',
    help: 'Times Redis became unreachable since start (with --workers: the most any worker saw).',
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.reset();
      this.inc(store.health.status().outages);
    },
  });
}

/** Logs that a store file of Portico before the store marker was recognised and marked. */
export const storeMigrated =
  (log: Logger) =>
  (file: string): void =>
    log.info({ file }, 'store file recognised by its tables and marked as Portico store format 1');

/**
 * The 'store' service: store.kind embedded (default) → <dataDir>/portico.db; redis → a RedisStore
 * (startup fails if Redis does not answer within store.connectTimeoutMs).
 */
export const STORE_SERVICE: ServiceDef = {
  name: STORE,
  deps: [METRICS],
  async start(runtime, loaded) {
    const cfg = loaded.config.store;
    if (cfg.kind === 'redis') {
      const store = await RedisStore.open({ config: cfg, clock: runtime.clock, log: runtime.log });
      const metrics = runtime.services.get(METRICS) as { registry?: Registry } | undefined;
      if (metrics?.registry) registerMetrics(store, metrics.registry);
      return store;
    }
    // A worker of `--workers N`: the primary holds the one embedded store (exact limits across workers).
    if (isPorticoWorker()) return new IpcStore(primaryChannel());
    return new EmbeddedStore({
      file: resolve(loaded.dir, loaded.config.dataDir, STORE_FILE),
      clock: runtime.clock,
      onMigrated: storeMigrated(runtime.log),
    });
  },
};
