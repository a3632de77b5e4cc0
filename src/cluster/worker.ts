import type { Gateway } from '../gateway.js';
import type { Snapshot } from '../pipeline/snapshot.js';
import type { Service, ServiceDef } from '../services.js';
import { isPorticoWorker, primaryChannel } from './ipc.js';

const STOP_GRACE_MS = 250;

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

/**
 * Runs a started gateway as a worker: announces it to the primary, reloads when told, drains and
 * exits on 'shutdown' (rolling restart, stop). Resolves when the worker has drained.
 */
export function runWorker(gw: Gateway): Promise<void> {
  const ch = primaryChannel();
  return new Promise((resolveRun) => {
    let stopping = false;
    const stop = (handover = false) => {
      if (stopping) return;
      stopping = true;
      // Stop taking connections, let the ones just handed over send their request, then drain.
      gw.stopAccepting();
      void new Promise((r) => setTimeout(r, STOP_GRACE_MS))
        .then(() => gw.close({ handover }))
        .then(() => {
          resolveRun();
          process.disconnect?.();
        });
    };
    ch.on((m) => {
      if (m.t === 'reload') void gw.reload(m.reason);
      else if (m.t === 'shutdown') stop(m.handover);
    });
    // The primary decides about signals; a terminal's Ctrl-C reaches the whole group, so drain too.
    process.on('SIGTERM', () => stop());
    process.on('SIGINT', () => stop());
    process.on('SIGHUP', () => {});
    process.on('disconnect', () => stop());
    ch.send({ t: 'ready', url: gw.url, adminUrl: gw.adminUrl });
  });
}
