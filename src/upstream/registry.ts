import type { LoadedConfig } from '../config/loaded.js';
import { METRICS } from '../observability/keys.js';
import type { MetricsService } from '../observability/metrics.js';
import { defineService } from '../kernel/services.js';
import type { PorticoConfig } from '../config/schema.js';
import type { Service, ServiceDef } from '../services.js';
import { type RuntimeEnv, UpstreamRuntime } from './runtime.js';
import type { RuntimeDeps, Snapshot } from '../pipeline/context.js';

export const UPSTREAMS_SERVICE = defineService<UpstreamRegistry>('upstreams');

/**
 * The long-lived upstream registry: one UpstreamRuntime per upstream name, created at start and
 * updated in place on every reload, so health, ejections, breakers, runtime weights and pools
 * survive config reloads. Upstreams removed from the config are closed.
 */
export class UpstreamRegistry implements Service {
  #env: RuntimeEnv;
  #runtimes = new Map<string, UpstreamRuntime>();
  #metrics: MetricsService | undefined;

  constructor(env: RuntimeEnv) {
    const find = env.metrics;
    this.#env = { ...env, metrics: find && (() => this.#findMetrics(find)) };
  }

  /**
   * The metrics service, looked up until found (it starts after this registry, and is absent without
   * services). When first found, registers the in-flight source, which also brings time-driven
   * changes (ejections and open breakers ending) up to date at each scrape.
   */
  #findMetrics(find: () => MetricsService | undefined): MetricsService | undefined {
    if (this.#metrics) return this.#metrics;
    const m = find();
    if (!m) return undefined;
    this.#metrics = m;
    m.inflightSource(() => this.#inflight());
    for (const rt of this.#runtimes.values()) rt.syncMetrics();
    return m;
  }

  *#inflight(): Iterable<readonly [string, string, number]> {
    for (const rt of this.#runtimes.values()) {
      rt.syncMetrics();
      yield* rt.inflightRows();
    }
  }

  /** Reports the current state to the metrics service if it is there now. */
  attachMetrics(): void {
    this.#env.metrics?.();
  }

  apply(config: PorticoConfig, dir: string): void {
    for (const [name, cfg] of Object.entries(config.upstreams)) {
      const rt = this.#runtimes.get(name);
      if (rt) rt.update(cfg, dir);
      else this.#runtimes.set(name, new UpstreamRuntime(name, cfg, dir, this.#env));
    }
    for (const [name, rt] of this.#runtimes) {
      if (name in config.upstreams) continue;
      this.#runtimes.delete(name);
      void rt.close();
    }
  }

  /** Waits (at most `ms`) for the first DNS answers of host-name targets. */
  async ready(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.#runtimes.values()].map((r) => r.ready())),
      new Promise<void>((r) => {
        timer = setTimeout(r, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  get(name: string): UpstreamRuntime | undefined {
    return this.#runtimes.get(name);
  }

  names(): string[] {
    return [...this.#runtimes.keys()];
  }

  onSnapshot(snapshot: Snapshot): void {
    this.apply(snapshot.config, snapshot.loaded.dir);
  }

  async close(): Promise<void> {
    const all = [...this.#runtimes.values()];
    this.#runtimes.clear();
    await Promise.all(all.map((r) => r.close()));
  }
}

export const upstreamService: ServiceDef = {
  name: UPSTREAMS_SERVICE,
  deps: [METRICS],
  async start(runtime: RuntimeDeps, loaded: LoadedConfig) {
    const metrics = () => runtime.services.get(METRICS);
    const registry = new UpstreamRegistry({ clock: runtime.clock, log: runtime.log, metrics });
    registry.apply(loaded.config, loaded.dir);
    await registry.ready(3000);
    // The metrics service started before this one (deps): report the starting state now.
    registry.attachMetrics();
    return registry;
  },
};

/** The registry of a running gateway (undefined when compiled without services). */
export function upstreamRegistry(runtime: RuntimeDeps): UpstreamRegistry | undefined {
  return runtime.services.get(UPSTREAMS_SERVICE);
}
