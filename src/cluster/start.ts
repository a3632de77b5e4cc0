import { UsageError } from '../cli/args.js';
import { installLastResort } from '../cli/last-resort.js';
import { type StartOptions, startGateway } from '../gateway.js';
import { isPorticoWorker } from './ipc.js';
import { runPrimary } from './primary.js';
import { runWorker } from './worker.js';

/** `portico start --workers N`: the primary forks N workers; in a worker, the gateway itself. */
export async function startWorkers(value: string, opts: StartOptions): Promise<number> {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 256) throw new UsageError(`portico start: --workers expected a whole number from 1 to 256, got "${value}"`);
  if (isPorticoWorker()) {
    const gw = await startGateway(opts);
    installLastResort(gw.log, 'worker');
    await runWorker(gw);
    return 0;
  }
  const p: Parameters<typeof runPrimary>[0] = { workers: n, configPath: opts.configPath, env: opts.env ?? process.env };
  if (opts.dataDir) p.dataDir = opts.dataDir;
  if (opts.logLevel) p.logLevel = opts.logLevel;
  return runPrimary(p);
}
