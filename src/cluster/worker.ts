import type { Service, ServiceDef } from '../services.js';
import { isPorticoWorker, primaryChannel } from './ipc.js';
import type { Snapshot } from '../pipeline/context.js';

/**
 * In a worker: tells the primary about each new config (so a reload through this worker's admin API
 * reaches the others). Does nothing outside `--workers`.
 */
export const WORKER_SERVICE: ServiceDef = {
  name: 'worker',
  start(): Service {
    if (!isPorticoWorker()) return {};
    const ch = primaryChannel();
    return {
      onSnapshot(s: Snapshot) {
        ch.send({ t: 'reloaded', hash: s.loaded.hash });
      },
    };
  },
};
