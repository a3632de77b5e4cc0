import { UsageError } from '../cli/args.js';
import { installLastResort } from '../cli/last-resort.js';
import { writePidFile } from '../cli/pid-file.js';
import { type Gateway, type StartOptions, startGateway } from '../gateway.js';
import { isPorticoWorker, primaryChannel } from './ipc.js';
import { runPrimary } from './primary.js';

// A process entry point (the CLI's `start --workers`): it starts gateways, so it may import src/gateway.ts.

const STOP_GRACE_MS = 250;

/** `portico start --workers N`: the primary forks N workers; in a worker, the gateway itself. */
export async function startWorkers(value: string, opts: StartOptions, pidFile?: string): Promise<number> {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 256)
    throw new UsageError(`portico start: --workers expected a whole number from 1 to 256, got "${value}"`);
  if (isPorticoWorker()) {
    const gw = await startGateway(opts);
    installLastResort(gw.log, 'worker');
    await runWorker(gw);
    return 0;
  }
  const p: Parameters<typeof runPrimary>[0] = { workers: n, configPath: opts.configPath, env: opts.env ?? process.env };
  if (opts.dataDir) p.dataDir = opts.dataDir;
  if (opts.logLevel) p.logLevel = opts.logLevel;
  const removePidFile = pidFile ? await writePidFile(pidFile) : undefined;
  try {
    return await runPrimary(p);
  } finally {
    await removePidFile?.();
  }
}

/**
 * Runs a started gateway as a worker: announces it to the primary, reloads when told, drains and
 * exits on 'shutdown' (rolling restart, stop). Resolves when the worker has drained.
 */
function runWorker(gw: Gateway): Promise<void> {
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
      // The primary took a SIGUSR1 (logrotate): the access log reopens on this process's SIGUSR1 listeners.
      else if (m.t === 'reopen') process.emit('SIGUSR1', 'SIGUSR1');
    });
    // The primary decides about signals; a terminal's Ctrl-C reaches the whole group, so drain too.
    process.on('SIGTERM', () => stop());
    process.on('SIGINT', () => stop());
    process.on('SIGHUP', () => {});
    process.on('disconnect', () => stop());
    ch.send({ t: 'ready', url: gw.url, adminUrl: gw.adminUrl });
  });
}
