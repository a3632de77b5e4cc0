import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Gauge } from 'prom-client';
import type { ToWorker } from './ipc.js';

/** How long a scrape waits for a worker's registry; one that has not answered by then is left out (and counted). */
export const COLLECT_MS = 2000;

interface Collection {
  parts: unknown[][];
  waiting: Set<Worker>;
  finish: () => void;
}

/**
 * The primary's side of GET /metrics with `--workers N`: a worker asks, the primary collects every
 * ready worker's registry over IPC and answers prom-client's aggregate (AggregatorRegistry.aggregate:
 * counters and histograms summed, gauges by the aggregator each declares). The aggregate also says
 * how many workers answered: `portico_cluster_workers{state="answered"|"missing"}`.
 */
export class ClusterMetrics {
  #next = 1;
  #open = new Map<number, Collection>();

  /** The aggregate text of `workers`' registries. */
  async collect(workers: readonly Worker[]): Promise<string> {
    const req = this.#next++;
    const parts: unknown[][] = [];
    const waiting = new Set(workers.filter((w) => w.isConnected()));
    const total = waiting.size;
    await new Promise<void>((resolve) => {
      const gone = (w: Worker) => () => this.#drop(req, w);
      const onExit = new Map([...waiting].map((w) => [w, gone(w)]));
      const timer = setTimeout(() => finish(), COLLECT_MS);
      const finish = () => {
        clearTimeout(timer);
        for (const [w, fn] of onExit) w.off('exit', fn);
        this.#open.delete(req);
        resolve();
      };
      this.#open.set(req, { parts, waiting, finish });
      for (const [w, fn] of onExit) {
        w.once('exit', fn);
        w.send({ t: 'metrics-collect', req } satisfies ToWorker);
      }
      if (waiting.size === 0) finish();
    });
    const registry = AggregatorRegistry.aggregate(parts);
    const workersGauge = new Gauge({
      name: 'portico_cluster_workers',
      help: 'Workers whose metrics this scrape holds (answered) or lacks (missing: no answer within 2 s).',
      labelNames: ['state'],
      registers: [registry],
    });
    workersGauge.set({ state: 'answered' }, parts.length);
    workersGauge.set({ state: 'missing' }, total - parts.length);
    return registry.metrics();
  }

  /** A worker's answer ('metrics-part'). */
  part(w: Worker, req: number, metrics: unknown[]): void {
    const c = this.#open.get(req);
    if (!c || !c.waiting.delete(w)) return;
    c.parts.push(metrics);
    if (c.waiting.size === 0) c.finish();
  }

  #drop(req: number, w: Worker): void {
    const c = this.#open.get(req);
    if (c?.waiting.delete(w) && c.waiting.size === 0) c.finish();
  }
}
