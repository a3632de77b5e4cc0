import cluster, { type Worker } from 'node:cluster';
import { resolve } from 'node:path';
import { resolveAdminToken } from '../admin/token.js';
import { installLastResort } from '../cli/last-resort.js';
import { systemClock } from '../clock.js';
import { loadConfigFile } from '../features.js';
import { loadKeySecret } from '../api-keys/secret.js';
import type { Level } from '../throttle/gcra.js';
import { RateLimiter } from '../throttle/gcra.js';
import { createLogger, type Logger } from '../logger.js';
import { EmbeddedStore } from '../store/embedded.js';
import { STORE_FILE, storeMigrated } from '../store/service.js';
import type { Store } from '../store/store.js';
import { STORE_OPS, type ToPrimary, type ToWorker, type WireVerdict } from './ipc.js';
import { ClusterMetrics } from './metrics.js';

export interface PrimaryOptions {
  workers: number;
  configPath: string;
  /** Overrides dataDir (as --data-dir). */
  dataDir?: string;
  logLevel?: string;
  env: NodeJS.ProcessEnv;
}

const DOC_WRITES = new Set(['put', 'insert', 'delete']);

/**
 * The primary of `portico start --workers N` (node:cluster). It serves no requests: it forks the
 * workers (which share the listeners), holds the one EmbeddedStore and RateLimiter they all use over
 * IPC (embedded store only; with Redis the workers are ordinary nodes), aggregates their metrics for
 * GET /metrics (cluster/metrics.ts), fans reloads out (SIGHUP, or
 * a reload on any worker's admin API reaches the others), replaces crashed workers, and restarts
 * them one by one on `portico restart` without dropping a request.
 */
export async function runPrimary(opts: PrimaryOptions): Promise<number> {
  const loaded = await loadConfigFile(opts.configPath, opts.env);
  const log: Logger = createLogger(opts.logLevel ?? loaded.config.server.logLevel);
  installLastResort(log, 'primary');
  const dataDir = opts.dataDir ?? resolve(loaded.dir, loaded.config.dataDir);
  // Made once here, so workers starting together don't race to create them.
  await loadKeySecret(dataDir);
  if (loaded.config.admin.enabled) await resolveAdminToken(loaded.config.admin.token, dataDir);
  const embedded = loaded.config.store.kind === 'embedded';
  const store: Store | undefined = embedded
    ? new EmbeddedStore({ file: resolve(dataDir, STORE_FILE), clock: systemClock, onMigrated: storeMigrated(log) })
    : undefined;
  const limiter = embedded ? new RateLimiter(systemClock) : undefined;
  let lastHash = loaded.hash;
  let stopping = false;
  let restarting: Promise<void> | undefined;
  const ready = new WeakSet<Worker>();
  const metrics = new ClusterMetrics();
  /** Workers we told to stop: their exit is not a crash. */
  const retiring = new WeakSet<Worker>();

  const broadcast = (m: ToWorker, except?: Worker) => {
    for (const w of Object.values(cluster.workers ?? {})) if (w && w !== except && w.isConnected()) w.send(m);
  };

  async function onStore(w: Worker, m: Extract<ToPrimary, { t: 'store' }>): Promise<void> {
    try {
      if (!store || !STORE_OPS.includes(m.op)) throw new Error(`store operation ${m.op} is not available`);
      const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m.op] as (
        ...a: unknown[]
      ) => Promise<unknown>;
      const value = await fn.apply(store, m.args);
      if (w.isConnected()) w.send({ t: 'res', id: m.id, ok: true, value: value ?? null } satisfies ToWorker);
      if (DOC_WRITES.has(m.op) && value !== false)
        broadcast({ t: 'change', c: m.args[0] as string, id: m.args[1] as string }, w);
    } catch (err) {
      if (w.isConnected()) w.send({ t: 'res', id: m.id, ok: false, error: (err as Error).message } satisfies ToWorker);
    }
  }

  function onLimit(w: Worker, m: Extract<ToPrimary, { t: 'limit' }>): void {
    let v: WireVerdict;
    if (!limiter) v = { ok: true, remaining: 0, i: -1 };
    else {
      const levels: Level[] = m.levels.map((l) => ({ key: l.key, label: '', limit: { rate: l.rate, burst: l.burst } }));
      const r = limiter.attempt(levels);
      const i = r.level ? levels.indexOf(r.level) : -1;
      v = r.ok ? { ok: true, remaining: r.remaining, i } : { ok: false, retryAfterMs: r.retryAfterMs, i };
    }
    if (w.isConnected()) w.send({ t: 'res', id: m.id, ok: true, value: v } satisfies ToWorker);
  }

  /** GET /metrics on any worker: the aggregate of every ready worker's registry. */
  async function onMetrics(w: Worker, id: number): Promise<void> {
    const live = Object.values(cluster.workers ?? {}).filter((x): x is Worker => !!x && ready.has(x));
    try {
      const text = await metrics.collect(live);
      if (w.isConnected()) w.send({ t: 'res', id, ok: true, value: text } satisfies ToWorker);
    } catch (err) {
      if (w.isConnected()) w.send({ t: 'res', id, ok: false, error: (err as Error).message } satisfies ToWorker);
    }
  }

  // The workers share the listening socket and the kernel queues each connection until a live one
  // accepts it. Round-robin (node's default on Linux) has the primary accept and hand connections
  // over IPC: one handed to a worker that dies before it acknowledges stays open in the primary with
  // nobody reading it (test/cluster/worker-death.test.ts). docs/cluster.md says why.
  cluster.schedulingPolicy = cluster.SCHED_NONE;

  function fork(): Worker {
    const w = cluster.fork({ ...opts.env, PORTICO_WORKER: '1' });
    w.on('message', (m: ToPrimary) => {
      if (m.t === 'store') void onStore(w, m);
      else if (m.t === 'limit') onLimit(w, m);
      else if (m.t === 'metrics') void onMetrics(w, m.id);
      else if (m.t === 'metrics-part') metrics.part(w, m.req, m.metrics);
      else if (m.t === 'ready') {
        ready.add(w);
        // A reload sent while it was starting reached it before it listened for one: catch up (a
        // no-op when the file is what it loaded).
        w.send({ t: 'reload', reason: 'catch up after start' } satisfies ToWorker);
        w.emit('portico-ready');
      } else if (m.t === 'reloaded' && m.hash !== lastHash) {
        lastHash = m.hash;
        broadcast({ t: 'reload', reason: 'reload on another worker' }, w);
      } else if (m.t === 'restart') void rollingRestart();
    });
    return w;
  }

  function whenReady(w: Worker): Promise<boolean> {
    if (ready.has(w)) return Promise.resolve(true);
    return new Promise((r) => {
      w.once('portico-ready', () => r(true));
      w.once('exit', () => r(false));
    });
  }

  /** `handover`: a rolling restart, other workers keep serving (see Gateway.close). */
  function stopWorker(w: Worker, handover = false): Promise<void> {
    return new Promise((r) => {
      if (w.isDead()) return r();
      retiring.add(w);
      w.once('exit', () => r());
      // Not ready yet: it has no handler for 'shutdown', and serves nothing to drain.
      if (ready.has(w)) w.send({ t: 'shutdown', handover } satisfies ToWorker);
      else w.process.kill('SIGTERM');
    });
  }

  /** One worker at a time: start its replacement, wait until it serves, then drain the old one. */
  function rollingRestart(): Promise<void> {
    restarting ??= (async () => {
      const old = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      log.info({ workers: old.length }, 'rolling restart');
      for (const w of old) {
        if (stopping) break;
        const next = fork();
        if (!(await whenReady(next))) {
          log.error('a new worker failed to start; rolling restart stopped, the old workers keep serving');
          break;
        }
        await stopWorker(w, true);
      }
      log.info('rolling restart done');
    })().finally(() => {
      restarting = undefined;
    });
    return restarting;
  }

  cluster.on('exit', (w, code, signal) => {
    if (stopping || retiring.has(w) || w.exitedAfterDisconnect) return;
    log.error({ pid: w.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });

  const workers = Array.from({ length: opts.workers }, () => fork());
  const started = await Promise.all(workers.map(whenReady));
  if (started.some((ok) => !ok)) {
    stopping = true;
    for (const w of workers) w.kill();
    await store?.close();
    log.error('workers failed to start');
    return 1;
  }
  log.info({ workers: opts.workers, pid: process.pid, store: loaded.config.store.kind }, 'portico workers ready');

  return new Promise<number>((resolveRun) => {
    const hup = () => {
      log.info('SIGHUP: reloading every worker');
      broadcast({ t: 'reload', reason: 'SIGHUP' });
    };
    const reopen = () => broadcast({ t: 'reopen' });
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping workers');
      await restarting;
      await Promise.all(Object.values(cluster.workers ?? {}).map((w) => (w ? stopWorker(w) : undefined)));
      await store?.close();
      limiter?.close();
      process.off('SIGHUP', hup);
      process.off('SIGUSR1', reopen);
      log.info('stopped');
      resolveRun(0);
    };
    process.on('SIGHUP', hup);
    // logrotate signals the pid file's process; without a listener Node would open its inspector.
    process.on('SIGUSR1', reopen);
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}
