import { Pool } from 'undici';
import { HeldConnections } from './held.js';
import { tolerateUnsolicitedContinue } from './informational.js';

/**
 * Keep-alive connection pools by origin. Pools outlive config snapshots, so a reload keeps warm
 * connections; origins no longer used are closed gracefully (in-flight requests finish first).
 */
export class PoolRegistry {
  constructor() {
    // Every forwarded request's connections (these pools and the named upstreams') are undici's.
    tolerateUnsolicitedContinue();
  }

  #pools = new Map<string, Pool>();
  /** Connections held by streaming uploads and slow readers, by origin or named upstream (held.ts). */
  readonly held = new HeldConnections();

  get(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 256, pipelining: 1, keepAliveTimeout: 4000, connectTimeout: 10000 });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Live counts per origin (read at metrics scrape time). */
  *stats(): Iterable<[string, { running: number; pending: number; connected: number }]> {
    for (const [origin, pool] of this.#pools) yield [origin, pool.stats];
  }

  /** Closes pools whose origin is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [origin, pool] of this.#pools) {
      if (keep.has(origin)) continue;
      this.#pools.delete(origin);
      pool.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => {})));
  }
}
