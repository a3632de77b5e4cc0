// Over 400 lines: the Gateway owns the one lifecycle (start, listen, reload and install, drain, close), and this
// session's deployments (install, canary snapshots) and health (readiness, the metrics listener) joined it. The
// data listener's request handler and the listener set-up are the next to move to src/server/ (docs/architecture.md).
import { type FSWatcher, readlinkSync, watch } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { type AddressInfo, Server as NetServer, type Socket } from 'node:net';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { type AdminTarget, createAdminServer, type Readiness, type ReloadResult } from './admin/server.js';
import { resolveAdminToken } from './admin/token.js';
import type { Clock } from './clock.js';
import { ConfigError } from './config/errors.js';
import { startChecks } from './config/checks.js';
import { formatListen, type ListenAddress, parseListen } from './config/listen.js';
import type { LoadedConfig } from './config/loaded.js';
import { loadConfigFile, loadConfigText, compileConfig, adminRoutes, featureServices } from './features.js';
import { createLogger, type Logger } from './logger.js';
import { createRuntimeDeps } from './pipeline/policy.js';
import { PoolRegistry } from './forward/pools.js';
import { handleRequest } from './server/handler.js';
import { createUpgradeHandler } from './server/upgrade.js';
import {
  createDataServer,
  type DataHandler,
  type Engine,
  selectEngine,
  type UpgradeHandler,
} from './server/data-server.js';
import {
  answerFailure,
  adminLimits,
  applyLimits,
  assertStrictParser,
  cutSlowBody,
  listenOn,
  urlHost,
} from './server/listener.js';
import {
  closeDataListener,
  type DataListener,
  reloadDataListeners,
  startDataListeners,
} from './server/data-listeners.js';
import { listenersWithDomains } from './edge/domains/tls.js';
import { SlowClientWatch } from './server/slow-clients.js';
import type { GatewayHost, Service, SnapshotPick } from './services.js';
import { loadPlugins } from './plugins/load.js';
import { withTimeout } from './store/health.js';
import { STORE } from './store/keys.js';
import { ACME } from './edge/acme/keys.js';
import type { RuntimeDeps, Snapshot } from './pipeline/context.js';

export interface StartOptions {
  /** Path of the YAML/JSON config file. */
  configPath: string;
  /** Overrides server.listen (HOST:PORT). */
  listen?: string;
  /** Overrides admin.listen (HOST:PORT). */
  adminListen?: string;
  /** Overrides dataDir. */
  dataDir?: string;
  /** Overrides server.watch. */
  watch?: boolean;
  /** Overrides server.logLevel. */
  logLevel?: string;
  /** Environment for ${ENV} interpolation; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** A logger to use instead of one made from logLevel. */
  logger?: Logger;
  /** Time source for time-based logic (tests inject a ManualClock). */
  clock?: Clock;
  /** Random numbers in [0, 1) for per-request choices (canary traffic); default Math.random (tests seed one). */
  random?: () => number;
}

/**
 * A running gateway: the data listener, the admin listener and the current snapshot. Reload
 * compiles a new snapshot to the side and swaps it in one assignment; requests in flight keep
 * the one they started with.
 */
export class Gateway implements AdminTarget, GatewayHost {
  readonly log: Logger;
  readonly runtime: RuntimeDeps;
  readonly adminToken: string;
  #opts: StartOptions;
  #snapshot: Snapshot;
  #server: Server;
  #admin: Server | undefined;
  /** observability.metrics.listen: /metrics, /healthz and /readyz without the token, and nothing else. */
  #metrics: Server | undefined;
  #watcher: FSWatcher | undefined;
  #reloadChain: Promise<unknown> = Promise.resolve();
  #lastReload: { at: string; reason: string; ok: boolean; error?: string } | undefined;
  /** The last rejected reload, kept after later good ones (the dashboard shows it). */
  #lastReloadError: { at: string; reason: string; error: string; issues?: ConfigError['issues'] } | undefined;
  #inflight = 0;
  #draining = false;
  #dataDir: string;
  #url = '';
  #adminUrl = '';
  #metricsUrl = '';
  #startedAt = new Date();
  /** Snapshots served beside the current one (stage canaries, src/deployments/) and the per-request choice. */
  #alternates: readonly Snapshot[] = [];
  #pick: SnapshotPick | undefined;
  readonly random: () => number;
  /** Request bodies too slow, responses not read: server.timeouts.body*, sendMs. */
  #slow = new SlowClientWatch({
    rules: () => this.#snapshot.config.server.timeouts,
    slowBody: (s) => cutSlowBody(s as Socket),
  });

  private constructor(opts: StartOptions, snapshot: Snapshot, runtime: RuntimeDeps, token: string, dataDir: string) {
    this.#opts = opts;
    this.runtime = runtime;
    const log = runtime.log;
    this.#snapshot = snapshot;
    this.log = log;
    this.adminToken = token;
    this.#dataDir = dataDir;
    this.random = opts.random ?? Math.random;
    const cfg = snapshot.config.server;
    this.#engine = selectEngine(cfg.engine, opts.env);
    this.#onUpgrade = createUpgradeHandler({
      snapshot: (req) => (this.#pick ? this.#pick(this.#snapshot, req) : this.#snapshot),
      port: () => this.#port,
      log,
      done: () => this.runtime.requestDone,
      open: this.#upgraded,
      watch: this.#slow,
    });
    this.#onRequest = (req, res) => {
      // ACME HTTP-01 (src/edge/acme/challenge.ts), before routing.
      if (this.runtime.services.get(ACME)?.respond(req, res)) return;
      this.#inflight++;
      if (this.#draining) res.shouldKeepAlive = false;
      this.#slow.add(req, res);
      try {
        const snapshot = this.#pick ? this.#pick(this.#snapshot, req) : this.#snapshot;
        const ctx = handleRequest(snapshot, req, res, this.#port);
        const done = this.runtime.requestDone;
        res.on('close', () => {
          this.#inflight--;
          this.#slow.remove(res);
          if (ctx) {
            ctx.clientCloseHook?.onClientClose();
            for (const hook of done) hook(ctx);
          }
        });
      } catch (err) {
        // The error boundary of the data listener (the pipeline's asynchronous steps have their own).
        res.once('close', () => {
          this.#inflight--;
          this.#slow.remove(res);
        });
        this.log.error({ err }, 'request handler failed');
        answerFailure(res, 500, 'Internal server error');
      }
    };
    // One builder for every data listener, on either engine (src/server/data-server.ts).
    this.#server = createDataServer({
      engine: this.#engine,
      name: 'data',
      log,
      handler: this.#onRequest,
      upgrade: this.#onUpgrade,
      maxHeaderBytes: cfg.limits.maxHeaderBytes,
      timeouts: cfg.timeouts,
      limits: () => this.#snapshot.config.server.limits,
    });
  }

  /** WebSocket tunnels and other upgraded sockets (src/server/upgrade.ts), ended at the drain deadline. */
  #upgraded = new Set<Socket>();
  #port = 0;
  #onRequest: DataHandler;
  #onUpgrade: UpgradeHandler;
  #engine: Engine;
  /** server.extraListeners (src/server/data-listeners.ts). */
  #extra: DataListener[] = [];

  static async start(opts: StartOptions): Promise<Gateway> {
    assertStrictParser();
    const env = opts.env ?? process.env;
    let loaded = applyOverrides(await loadConfigFile(opts.configPath, env), opts);
    const cfg = loaded.config;
    // The same checks as `portico validate`, after the overrides and before anything starts.
    const refused = startChecks(loaded);
    if (refused.length) throw new ConfigError(loaded.file, refused);
    // A bad PORTICO_ENGINE fails here, before any service starts.
    selectEngine(cfg.server.engine, opts.env);
    const log = opts.logger ?? createLogger(opts.logLevel ?? cfg.server.logLevel);
    for (const w of loaded.warnings) log.warn(w);
    const runtime = createRuntimeDeps({ pools: new PoolRegistry(), log, ...(opts.clock ? { clock: opts.clock } : {}) });
    const services: [string, Service][] = [];
    try {
      for (const def of featureServices()) {
        const svc = await def.start(runtime, loaded);
        services.push([def.name, svc]);
        runtime.services.set(def.name, svc);
      }
    } catch (err) {
      await closeServices(services);
      throw err;
    }
    let snapshot: Snapshot;
    try {
      // Plugins after the services: their counters go to the metrics service.
      const plugins = await loadPlugins(loaded, runtime);
      loaded = plugins.loaded;
      snapshot = compileConfig(loaded, { runtime, revision: 1 }, plugins.features);
    } catch (err) {
      await closeServices(services);
      throw err;
    }
    const dataDir = resolve(loaded.dir, cfg.dataDir);
    const adminAddr = parseListen(cfg.admin.listen);
    const { token, source } = cfg.admin.enabled
      ? await resolveAdminToken(cfg.admin.token, dataDir)
      : { token: '', source: '' };
    const gw = new Gateway(opts, snapshot, runtime, token, dataDir);
    try {
      // Services that drive the snapshot (deployments: the store's current one may replace the file's).
      for (const [, svc] of services) await svc.attach?.(gw);
    } catch (err) {
      await closeServices(services);
      throw err;
    }
    const metricsListen = cfg.observability.metrics.listen;
    await gw.#listen(
      parseListen(cfg.server.listen),
      cfg.admin.enabled ? adminAddr : undefined,
      metricsListen ? parseListen(metricsListen) : undefined,
    );
    if (opts.watch ?? cfg.server.watch) gw.#watch();
    await gw.#writeRuntimeInfo();
    log.info(
      {
        url: gw.url,
        admin: gw.#adminUrl || 'disabled',
        ...(gw.#metricsUrl ? { metrics: gw.#metricsUrl } : {}),
        ...(gw.#adminUrl ? { dashboard: `${gw.#adminUrl}/dashboard/` } : {}),
        adminTokenFile: source,
        config: loaded.file,
        apis: snapshot.apis.length,
      },
      'portico started',
    );
    return gw;
  }

  async #listen(
    data: ListenAddress,
    admin: ListenAddress | undefined,
    metrics: ListenAddress | undefined,
  ): Promise<void> {
    await listenOn(this.#server, data);
    const addr = this.#server.address() as AddressInfo;
    this.#port = addr.port;
    this.#url = `http://${formatListen({ host: urlHost(addr.address), port: addr.port })}`;
    const cfg = this.#snapshot.config;
    this.#extra = await startDataListeners(listenersWithDomains(cfg), {
      engine: this.#engine,
      handler: this.#onRequest,
      upgrade: this.#onUpgrade,
      log: this.log,
      baseDir: this.#snapshot.loaded.dir,
      maxHeaderBytes: cfg.server.limits.maxHeaderBytes,
      timeouts: cfg.server.timeouts,
      limits: () => this.#snapshot.config.server.limits,
      challenge: (req, res) => this.runtime.services.get(ACME)?.respond(req, res) ?? false,
    }).catch((err) => {
      this.#server.close();
      throw err;
    });
    this.runtime.services.get(ACME)?.bind(this.#extra);
    if (admin) {
      this.#admin = createAdminServer(this, this.adminToken, this.log, {
        timeouts: this.#snapshot.config.server.timeouts,
        limits: () => adminLimits(this.#snapshot.config),
        routes: adminRoutes(),
      });
      try {
        await listenOn(this.#admin, admin);
      } catch (err) {
        this.#server.close();
        throw err;
      }
      const a = this.#admin.address() as AddressInfo;
      this.#adminUrl = `http://${formatListen({ host: urlHost(a.address), port: a.port })}`;
    }
    if (metrics) {
      this.#metrics = createAdminServer(this, '', this.log, {
        timeouts: this.#snapshot.config.server.timeouts,
        limits: () => adminLimits(this.#snapshot.config),
        routes: adminRoutes().filter((r) => r.metricsListener),
        open: true,
        name: 'metrics',
      });
      try {
        await listenOn(this.#metrics, metrics);
      } catch (err) {
        this.#server.close();
        this.#admin?.close();
        throw err;
      }
      const a = this.#metrics.address() as AddressInfo;
      this.#metricsUrl = `http://${formatListen({ host: urlHost(a.address), port: a.port })}`;
    }
  }

  /** Data listener URL, e.g. http://127.0.0.1:8080 (0.0.0.0 is shown as 127.0.0.1). */
  get url(): string {
    return this.#url;
  }
  /** URLs of server.extraListeners, in order (https:// for TLS ones). */
  get extraUrls(): string[] {
    return this.#extra.map((l) => l.url);
  }
  get adminUrl(): string {
    return this.#adminUrl;
  }
  /** The metrics listener's URL (observability.metrics.listen), or '' without one. */
  get metricsUrl(): string {
    return this.#metricsUrl;
  }
  get snapshot(): Snapshot {
    return this.#snapshot;
  }
  get inflight(): number {
    return this.#inflight;
  }

  /**
   * Stops accepting connections but keeps the open ones, unlike close(), which also drops those
   * that have not sent a request yet. A worker leaving a rolling restart calls this, gives the
   * connections it was just handed a moment to send their request, then close() drains them.
   */
  stopAccepting(): void {
    if (this.#server.listening) NetServer.prototype.close.call(this.#server);
  }

  status(): Record<string, unknown> {
    return {
      revision: this.#snapshot.revision,
      deployment: this.#snapshot.deployment?.id ?? null,
      config: this.#snapshot.loaded.file,
      loadedAt: this.#snapshot.createdAt.toISOString(),
      startedAt: this.#startedAt.toISOString(),
      pid: process.pid,
      url: this.#url,
      apis: this.#snapshot.apis.map((a) => ({
        name: a.name,
        type: a.type,
        stages: a.stages.map((s) => s.name),
        routes: a.routes.length,
      })),
      inflight: this.#inflight,
      draining: this.#draining,
      lastReload: this.#lastReload ?? null,
      lastReloadError: this.#lastReloadError ?? null,
      // Redis health and failure-policy counts (docs/cluster.md); the embedded store has none.
      store: this.runtime.services.get(STORE)?.status?.() ?? null,
    };
  }

  /**
   * GET /readyz: the config is loaded (always, once started: a rejected reload keeps the last good
   * one), the gateway is not draining, and the store answers now (SQLite read, Redis PING, or the
   * primary's store with --workers), within READY_STORE_MS at most.
   */
  async readiness(): Promise<Readiness> {
    const s = this.#snapshot;
    const checks: Readiness['checks'] = {
      config: { ok: true, revision: s.revision, loadedAt: s.createdAt.toISOString() },
      serving: this.#draining ? { ok: false, reason: 'draining: the gateway is shutting down' } : { ok: true },
    };
    const store = this.runtime.services.get(STORE);
    if (store) {
      try {
        await withTimeout(store.ping(), READY_STORE_MS);
        checks.store = { ok: true, kind: store.kind };
      } catch (err) {
        checks.store = { ok: false, kind: store.kind, reason: (err as Error).message };
      }
    }
    const failed = Object.entries(checks).find(([, c]) => !c.ok);
    return failed ? { ready: false, reason: `${failed[0]}: ${failed[1].reason}`, checks } : { ready: true, checks };
  }

  /**
   * Loads the config file again and swaps it in. An invalid config is rejected with every error and
   * the current snapshot keeps serving. Reloads run one at a time.
   */
  reload(reason = 'api'): Promise<ReloadResult> {
    const run = this.#reloadChain.then(() => this.#reloadNow(reason));
    this.#reloadChain = run.catch(() => {});
    return run;
  }

  async #reloadNow(reason: string): Promise<ReloadResult> {
    const current = this.#snapshot;
    try {
      // Plugins load first: their files' hashes are part of loaded.hash, so editing a plugin is a change.
      const plugins = await loadPlugins(
        applyOverrides(await loadConfigFile(this.#opts.configPath, this.#opts.env ?? process.env), this.#opts),
        this.runtime,
      );
      const loaded = plugins.loaded;
      if (loaded.hash === current.loaded.hash) {
        this.#lastReload = { at: new Date().toISOString(), reason, ok: true };
        return { ok: true, changed: false, revision: current.revision };
      }
      const next = compileConfig(loaded, { runtime: this.runtime, revision: current.revision + 1 }, plugins.features);
      await this.install(next, reason);
      return { ok: true, changed: true, revision: next.revision };
    } catch (err) {
      const e = err as Error;
      this.#lastReload = { at: new Date().toISOString(), reason, ok: false, error: e.message };
      this.#lastReloadError = {
        at: this.#lastReload.at,
        reason,
        error: e.message,
        ...(err instanceof ConfigError ? { issues: err.issues } : {}),
      };
      this.log.error({ reason, error: e.message }, 'config reload rejected; the previous config keeps serving');
      for (const svc of this.runtime.services.values()) (svc as Service).onReloadFailed?.(e);
      if (err instanceof ConfigError)
        return { ok: false, changed: false, revision: current.revision, error: e.message, issues: err.issues };
      return { ok: false, changed: false, revision: current.revision, error: e.message };
    }
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#reloadChain.then(fn);
    this.#reloadChain = run.catch(() => {});
    return run;
  }

  async compileText(text: string, name?: string): Promise<Snapshot> {
    const own = resolve(this.#opts.configPath);
    const file = name ? join(dirname(own), basename(name)) : own;
    const env = this.#opts.env ?? process.env;
    const plugins = await loadPlugins(applyOverrides(loadConfigText(text, file, env), this.#opts), this.runtime);
    return compileConfig(
      plugins.loaded,
      { runtime: this.runtime, revision: this.#snapshot.revision + 1 },
      plugins.features,
    );
  }

  readConfigFile(): Promise<string> {
    return readFile(resolve(this.#opts.configPath), 'utf8');
  }

  async install(next: Snapshot, reason: string): Promise<void> {
    const current = this.#snapshot;
    for (const w of next.loaded.warnings) this.log.warn(w);
    for (const key of ['listen'] as const) {
      if (next.config.server[key] !== current.config.server[key]) {
        this.log.warn(
          { from: current.config.server[key], to: next.config.server[key] },
          `server.${key} changes need a restart; keeping the old value`,
        );
      }
    }
    for (const svc of this.runtime.services.values()) await (svc as Service).beforeSwap?.(next);
    this.#snapshot = next;
    applyLimits(this.#server, next.config.server.limits);
    reloadDataListeners(this.#extra, listenersWithDomains(next.config), this.log);
    if (this.#admin) applyLimits(this.#admin, adminLimits(next.config));
    if (this.#metrics) applyLimits(this.#metrics, adminLimits(next.config));
    this.#retainPools();
    for (const svc of this.runtime.services.values()) (svc as Service).onSnapshot?.(next);
    this.#lastReload = { at: new Date().toISOString(), reason, ok: true };
    this.log.info({ revision: next.revision, reason, deployment: next.deployment?.id }, 'config reloaded');
  }

  setAlternates(alternates: readonly Snapshot[], pick: SnapshotPick | undefined): void {
    this.#alternates = alternates;
    this.#pick = alternates.length ? pick : undefined;
    this.#retainPools();
  }

  /** Keeps the pools of every snapshot served: the current one and the alternates. */
  #retainPools(): void {
    const origins = new Set(this.#snapshot.origins);
    for (const a of this.#alternates) for (const o of a.origins) origins.add(o);
    this.runtime.pools.retain(origins);
  }

  #watch(): void {
    const file = resolve(this.#opts.configPath);
    const name = basename(file);
    let timer: NodeJS.Timeout | undefined;
    // Watch the directory: editors and `mv` replace the file, which ends a watch on the file itself.
    this.#watcher = watch(dirname(file), (_event, changed) => {
      if (changed && changed !== name && !linksThrough(file, changed)) return;
      clearTimeout(timer);
      timer = setTimeout(() => void this.reload('file change'), 100);
    });
    this.#watcher.on('error', (err) => this.log.warn({ err }, 'config watch failed; use SIGHUP or `portico reload`'));
    this.#watcher.unref();
  }

  async #writeRuntimeInfo(): Promise<void> {
    try {
      await mkdir(this.#dataDir, { recursive: true });
      const info = {
        pid: process.pid,
        url: this.#url,
        adminUrl: this.#adminUrl,
        ...(this.#metricsUrl ? { metricsUrl: this.#metricsUrl } : {}),
        config: resolve(this.#opts.configPath),
      };
      await writeFile(join(this.#dataDir, 'runtime.json'), `${JSON.stringify(info, null, 2)}\n`);
    } catch (err) {
      this.log.warn({ err }, 'could not write runtime.json; `portico reload` will need --admin');
    }
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to server.timeouts.drainMs),
   * then closes everything. Every response from then on says `Connection: close`.
   *
   * `handover`: another process keeps serving (a worker leaving a rolling restart). Idle keep-alive
   * connections are then not closed at once: a client about to reuse one would have its request
   * reset. A request still arriving on one is answered (with `Connection: close`); an idle one ends
   * by its keep-alive timer or at the drain deadline. Without it (the last process stopping) idle
   * connections are closed at once, as nobody else would answer them.
   */
  async close(opts: { handover?: boolean } = {}): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.#watcher?.close();
    // http.Server#close also drops the idle keep-alive connections; net.Server#close only stops listening.
    const closed = new Promise<void>((r) =>
      opts.handover ? NetServer.prototype.close.call(this.#server, () => r()) : this.#server.close(() => r()),
    );
    for (const l of [this.#admin, this.#metrics]) {
      l?.close();
      l?.closeAllConnections();
    }
    const deadline = Date.now() + this.#snapshot.config.server.timeouts.drainMs;
    const open = () => new Promise<number>((r) => this.#server.getConnections((_err, n) => r(n ?? 0)));
    while ((this.#inflight > 0 || (opts.handover && (await open()) > 0)) && Date.now() < deadline) {
      if (!opts.handover) this.#server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 25));
    }
    this.#server.closeAllConnections();
    for (const s of this.#upgraded) s.destroy();
    for (const l of this.#extra) closeDataListener(l);
    this.#slow.stop();
    await closed;
    await this.runtime.pools.close();
    await closeServices([...this.runtime.services.entries()] as [string, Service][]);
    await rm(join(this.#dataDir, 'runtime.json'), { force: true });
  }
}

/** The store's answer to a readiness check at most (Redis has its own commandTimeoutMs inside). */
const READY_STORE_MS = 2000;

export function startGateway(opts: StartOptions): Promise<Gateway> {
  return Gateway.start(opts);
}

async function closeServices(services: [string, Service][]): Promise<void> {
  for (const [, svc] of [...services].reverse()) await svc.close?.();
}

function applyOverrides(loaded: LoadedConfig, opts: StartOptions): LoadedConfig {
  const c = loaded.config;
  if (opts.listen) c.server.listen = opts.listen;
  if (opts.adminListen) c.admin.listen = opts.adminListen;
  if (opts.dataDir) c.dataDir = isAbsolute(opts.dataDir) ? opts.dataDir : resolve(opts.dataDir);
  if (opts.logLevel) c.server.logLevel = opts.logLevel as typeof c.server.logLevel;
  if (opts.watch !== undefined) c.server.watch = opts.watch;
  return loaded;
}

/**
 * Whether the config file is a symlink through the sibling `entry`. A Kubernetes ConfigMap volume
 * mounts each key as `portico.yaml -> ..data/portico.yaml` and updates by renaming a new symlink over
 * `..data`, so the directory sees `..data` change and never `portico.yaml` (docs/operations.md).
 */
function linksThrough(file: string, entry: string): boolean {
  try {
    return readlinkSync(file).split(/[\\/]/)[0] === entry;
  } catch {
    return false;
  }
}

/** The admin listener's cap; no per-IP cap there (it is loopback, or reached by operators). */
