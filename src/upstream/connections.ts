import { isIP } from 'node:net';
import { Client, Pool } from 'undici';
import type { Endpoint } from './endpoint.js';
import type { UpstreamConfig } from './schema.js';
import type { UpstreamTlsFiles } from './tls.js';

/**
 * One named upstream's keep-alive pools (UpstreamRuntime's "pools" section): one per origin, SNI name
 * and connect timeout, with the upstream's TLS options. They are the upstream's own, not the shared
 * origin pools of URI integrations (forward/pools.ts), because these TLS options differ per upstream.
 */
export class UpstreamConnections {
  #pools = new Map<string, Pool>();
  #cfg: () => UpstreamConfig;
  #tls: UpstreamTlsFiles;

  constructor(cfg: () => UpstreamConfig, tls: UpstreamTlsFiles) {
    this.#cfg = cfg;
    this.#tls = tls;
  }

  #key(ep: Endpoint, connectMs?: number): string {
    const cfg = this.#cfg();
    return `${ep.origin}|${ep.isHttps ? (cfg.tls.serverName ?? ep.hostname) : ''}|${connectMs ?? cfg.timeouts.connectMs ?? 10000}`;
  }

  /** The keep-alive pool for an endpoint. */
  pool(ep: Endpoint, connectMs?: number): Pool {
    const key = this.#key(ep, connectMs);
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(ep.origin, { connections: 256, ...this.#clientOptions(ep, connectMs) });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** A one-request connection (the retry after a stale keep-alive reset); the caller closes it. */
  freshClient(ep: Endpoint, connectMs?: number): Client {
    return new Client(ep.origin, this.#clientOptions(ep, connectMs));
  }

  #clientOptions(ep: Endpoint, connectMs?: number): Client.Options {
    const cfg = this.#cfg();
    const servername = cfg.tls.serverName ?? (isIP(ep.hostname) ? undefined : ep.hostname);
    return {
      pipelining: 1,
      keepAliveTimeout: 4000,
      connectTimeout: connectMs ?? cfg.timeouts.connectMs ?? 10000,
      ...(ep.isHttps
        ? {
            connect: {
              rejectUnauthorized: cfg.tls.rejectUnauthorized,
              ...(servername ? { servername } : {}),
              ...this.#tls,
            },
          }
        : {}),
    };
  }

  /** Closes the pool of a removed endpoint unless a kept one uses it (in-flight requests finish first). */
  release(gone: Endpoint, kept: Iterable<Endpoint>): void {
    const key = this.#key(gone);
    const pool = this.#pools.get(key);
    if (!pool) return;
    for (const e of kept) if (this.#key(e) === key) return;
    this.#pools.delete(key);
    pool.close().catch(() => {});
  }

  /** New TLS options or connect timeout: every pool is closed gracefully, new ones use `tls`. */
  reset(tls: UpstreamTlsFiles): void {
    this.#tls = tls;
    for (const p of this.#pools.values()) p.close().catch(() => {});
    this.#pools.clear();
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => {})));
  }
}
