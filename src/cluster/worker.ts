import type { Service, ServiceDef } from '../services.js';
import { METRICS } from '../observability/keys.js';
import { isPorticoWorker, primaryChannel } from './ipc.js';
import type { Snapshot } from '../pipeline/context.js';

/**
 * In a worker: tells the primary about each new config (so a reload through this worker's admin API
 * reaches the others), and makes GET /metrics the primary's aggregate of every worker (each worker
 * sends its registry when the primary collects). Does nothing outside `--workers`.
 */
export const WORKER_SERVICE: ServiceDef = {
  name: 'worker',
  deps: [METRICS],
  start(runtime): Service {
    if (!isPorticoWorker()) return {};
    const ch = primaryChannel();
    const metrics = runtime.services.get(METRICS);
    if (metrics) {
      metrics.aggregateWith(() => ch.request<string>({ t: 'metrics' }));
      ch.on((m) => {
        if (m.t !== 'metrics-collect') return;
        metrics.registry.getMetricsAsJSON().then(
          (list) => ch.send({ t: 'metrics-part', req: m.req, metrics: list }),
          // An empty part rather than none: the primary need not wait for its deadline.
          () => ch.send({ t: 'metrics-part', req: m.req, metrics: [] }),
        );
      });
    }
    return {
      onSnapshot(s: Snapshot) {
        ch.send({ t: 'reloaded', hash: s.loaded.hash });
      },
    };
  },
};
