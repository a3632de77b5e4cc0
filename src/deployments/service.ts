import type { EngineRequest } from '../server/engine/types.js';
import { AdminError } from '../admin/types.js';
import type { PorticoConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Snapshot } from '../pipeline/context.js';
import { hostOf } from '../server/handler.js';
import type { GatewayHost, Service, ServiceDef } from '../services.js';
import { STORE } from '../store/keys.js';
import type { Store } from '../store/store.js';
import { type ConfigDiff, diffConfigs } from './diff.js';
import { History, STATE_COLLECTION } from './history.js';
import type { CanarySettings, Deployment, DeploymentRecord, DeploymentSource, StageState } from './types.js';

export interface ApplyOptions {
  description?: string;
  dryRun?: boolean;
  /** Make the new deployment a canary of this stage ("api/stage") instead of every stage's deployment. */
  canary?: { stage: string; percentTraffic: number };
  /** The submitted file's name, for error locations (resolved in the gateway's config directory). */
  file?: string;
}

/** Which deployment a comparison is against: an id, the one every stage serves, or the one recorded before. */
export type CompareAgainst = number | 'serving' | 'previous';

export interface CompareResult {
  deployment: Deployment;
  against: Deployment;
  /** What changes when `deployment` replaces `against` (the direction of `portico diff`: running → file). */
  diff: ConfigDiff;
}

export interface ApplyResult {
  dryRun: boolean;
  diff: ConfigDiff;
  deployment?: Deployment;
}

/** A deployment without its text. */
export const meta = ({ text: _text, ...d }: DeploymentRecord): Deployment => d;

/** The stages of a snapshot as "api/stage". */
const stagesOf = (s: Snapshot): string[] => s.apis.flatMap((a) => a.stages.map((st) => `${a.name}/${st.name}`));

/**
 * Deployments (docs/operations.md#deployments): records every config the gateway serves as a
 * numbered deployment in the store, makes the store's current one the one served (on every node:
 * a change in a shared store reaches the others through Store.onChange), and serves stage canaries
 * beside it. Every change runs in the gateway's reload queue (GatewayHost.exclusive).
 */
export class DeploymentsService implements Service {
  readonly #store: Store;
  readonly #history: History;
  readonly #log: Logger;
  readonly #now: () => number;
  #host: GatewayHost | undefined;
  /** Snapshots this service compiled and installs: their beforeSwap records nothing. */
  readonly #own = new WeakSet<Snapshot>();
  /** The state this node serves. */
  #served: StageState | undefined;
  /** Canaries served, by "api/stage". */
  #canaries = new Map<string, { snapshot: Snapshot; percentTraffic: number }>();

  constructor(store: Store, log: Logger, now: () => number) {
    this.#store = store;
    this.#history = new History(store);
    this.#log = log;
    this.#now = now;
  }

  get history(): History {
    return this.#history;
  }
  get state(): StageState | undefined {
    return this.#served;
  }
  get host(): GatewayHost {
    if (!this.#host) throw new AdminError(503, 'deployments are not attached to a running gateway');
    return this.#host;
  }

  /**
   * At start: the store's current deployment serves if the config file is the one that last made a
   * deployment (a restart, or another node of the cluster); else the file makes a new deployment.
   */
  async attach(host: GatewayHost): Promise<void> {
    this.#host = host;
    await host.exclusive(async () => {
      const state = await this.#history.state();
      const file = host.snapshot.loaded;
      if (state && state.fileHash === file.hash) await this.#serve(state, 'start');
      else await this.#fromFile(host.snapshot, 'start', `started from ${file.file}`, state);
    });
    this.#store.onChange?.((collection) => {
      if (collection === STATE_COLLECTION || collection === '*') void this.sync();
    });
  }

  /** Serves the store's current state (after another node changed it). */
  sync(): Promise<void> {
    return this.host
      .exclusive(async () => {
        const state = await this.#history.state();
        if (state) await this.#serve(state, 'deployment');
      })
      .catch((err: unknown) => this.#log.error({ err }, 'deployments: could not serve the store deployment'));
  }

  /** A reload of the config file (watcher, SIGHUP, POST /reload) records a deployment before its swap. */
  async beforeSwap(next: Snapshot): Promise<void> {
    if (!this.#host || this.#own.has(next)) return;
    await this.#fromFile(next, 'file', `reload of ${next.loaded.file}`, await this.#history.state());
  }

  onSnapshot(snapshot: Snapshot): void {
    // A file reload replaces every stage's deployment and ends the canaries.
    if (!this.#own.has(snapshot) && this.#canaries.size) this.#setCanaries(new Map());
  }

  async #fromFile(next: Snapshot, source: DeploymentSource, description: string, state: StageState | undefined) {
    const current = state ? await this.#history.get(state.deploymentId) : undefined;
    // The same config as the current deployment (another node's file, a touch): no new deployment.
    const rec =
      current && current.hash === next.loaded.hash
        ? current
        : await this.#record(
            next.loaded.text ?? (await this.host.readConfigFile()),
            next.loaded.hash,
            description,
            source,
          );
    const st: StageState = { deploymentId: rec.id, fileHash: next.loaded.hash, canaries: {}, updatedAt: this.#iso() };
    await this.#history.setState(st);
    next.deployment = { id: rec.id, canary: false };
    this.#served = st;
  }

  #record(text: string, hash: string, description: string, source: DeploymentSource): Promise<DeploymentRecord> {
    return this.#history.record({ createdAt: this.#iso(), description, hash, source, text });
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  /** Compiles a stored deployment. */
  async #compile(id: number, canary: boolean): Promise<Snapshot> {
    const rec = await this.#history.get(id);
    if (!rec) throw new Error(`deployment ${id} is not in the store`);
    const snap = await this.host.compileText(rec.text);
    snap.deployment = { id, canary };
    this.#own.add(snap);
    return snap;
  }

  /** Makes this node serve a state: its deployment on every stage, its canaries beside. */
  async #serve(state: StageState, reason: string, compiled?: Snapshot): Promise<void> {
    const host = this.host;
    const running = host.snapshot;
    if (running.deployment?.id !== state.deploymentId) {
      const rec = running.deployment ? undefined : await this.#history.get(state.deploymentId);
      if (rec && rec.hash === running.loaded.hash) running.deployment = { id: rec.id, canary: false };
      else {
        const next = compiled ?? (await this.#compile(state.deploymentId, false));
        await host.install(next, `${reason}: deployment ${state.deploymentId}`);
      }
    }
    const canaries = new Map<string, { snapshot: Snapshot; percentTraffic: number }>();
    for (const [stage, c] of Object.entries(state.canaries)) {
      const old = this.#canaries.get(stage);
      const snapshot =
        old?.snapshot.deployment?.id === c.deploymentId ? old.snapshot : await this.#compile(c.deploymentId, true);
      canaries.set(stage, { snapshot, percentTraffic: c.percentTraffic });
    }
    this.#setCanaries(canaries);
    this.#served = state;
  }

  #setCanaries(canaries: Map<string, { snapshot: Snapshot; percentTraffic: number }>): void {
    this.#canaries = canaries;
    const random = this.host.random;
    this.host.setAlternates(
      [...canaries.values()].map((c) => c.snapshot),
      (current: Snapshot, req: EngineRequest) => {
        const url = req.url ?? '/';
        if (url.charCodeAt(0) !== 47 /* / */) return current;
        const q = url.indexOf('?');
        const mount = current.mounts.find(hostOf(req.headers.host ?? ''), q === -1 ? url : url.slice(0, q));
        if (!mount) return current;
        const c = this.#canaries.get(`${mount.value.api.name}/${mount.value.stage.name}`);
        return c && random() * 100 < c.percentTraffic ? c.snapshot : current;
      },
    );
  }

  /** Writes a state to the store and serves it here; the other nodes hear of it from the store. */
  async #commit(state: StageState, reason: string, compiled?: Snapshot): Promise<void> {
    await this.#history.setState(state);
    await this.#serve(state, reason, compiled);
  }

  #current(): StageState {
    if (!this.#served) throw new AdminError(503, 'no deployment is served yet');
    return this.#served;
  }

  #checkStage(stage: string, ...snapshots: Snapshot[]): void {
    for (const s of snapshots) {
      const known = stagesOf(s);
      if (!known.includes(stage))
        throw new AdminError(
          400,
          `no stage "${stage}" in ${s.deployment ? `deployment ${s.deployment.id}` : 'the new config'} (stages: ${known.join(', ')})`,
        );
    }
  }

  /**
   * The diff between two recorded deployments, from the same differ `portico diff` uses. A deployment
   * that serves now is compared as running (its validated config); another is validated and compiled
   * again as a rollback to it would be (${ENV} and named files as they are now). Throws AdminError
   * 404 for an unknown id, ConfigError if a recorded config no longer compiles.
   */
  async compare(id: number, against: CompareAgainst = 'serving'): Promise<CompareResult> {
    const rec = await this.#history.get(id);
    if (!rec) throw new AdminError(404, `no deployment ${id}`);
    let base: DeploymentRecord | undefined;
    if (against === 'previous') {
      base = (await this.#history.list()).filter((d) => d.id < id).at(-1);
      if (!base) throw new AdminError(404, `against: deployment ${id} has no previous deployment`);
    } else {
      const baseId = against === 'serving' ? this.#current().deploymentId : against;
      base = await this.#history.get(baseId);
      if (!base) throw new AdminError(404, `against: no deployment ${baseId}`);
    }
    const [from, to] = await Promise.all([this.#configOf(base), this.#configOf(rec)]);
    return { deployment: meta(rec), against: meta(base), diff: diffConfigs(from, to) };
  }

  /** A recorded deployment's validated config: the running snapshot's if it serves, else compiled from its text. */
  async #configOf(rec: DeploymentRecord): Promise<PorticoConfig> {
    const running = this.host.snapshot;
    if (running.deployment?.id === rec.id) return running.config;
    return (await this.host.compileText(rec.text, `deployment-${rec.id}.yaml`)).config;
  }

  /** Validates and compiles config text; unless a dry run, records it and serves it (or makes it a stage's canary). Throws ConfigError. */
  apply(text: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const host = this.host;
    return host.exclusive(async () => {
      const next = await host.compileText(text, opts.file);
      const diff = diffConfigs(host.snapshot.config, next.config);
      if (opts.canary) {
        checkPercent(opts.canary.percentTraffic);
        this.#checkStage(opts.canary.stage, host.snapshot, next);
      }
      if (opts.dryRun) return { dryRun: true, diff };
      const rec = await this.#record(text, next.loaded.hash, opts.description ?? '', 'api');
      const state = this.#current();
      if (opts.canary) {
        const canary: CanarySettings = { deploymentId: rec.id, percentTraffic: opts.canary.percentTraffic };
        await this.#commit(
          { ...state, canaries: { ...state.canaries, [opts.canary.stage]: canary }, updatedAt: this.#iso() },
          'canary',
        );
      } else {
        next.deployment = { id: rec.id, canary: false };
        this.#own.add(next);
        await this.#commit({ ...state, deploymentId: rec.id, canaries: {}, updatedAt: this.#iso() }, 'apply', next);
      }
      return { dryRun: false, diff, deployment: meta(rec) };
    });
  }

  /** Every stage back to a recorded deployment (canaries end). */
  rollback(id: number): Promise<Deployment> {
    return this.host.exclusive(async () => {
      const rec = await this.#history.get(id);
      if (!rec) throw new AdminError(404, `no deployment ${id}`);
      await this.#commit({ ...this.#current(), deploymentId: id, canaries: {}, updatedAt: this.#iso() }, 'rollback');
      return meta(rec);
    });
  }

  /** Sets (or changes the share of) a stage's canary to a recorded deployment. */
  setCanary(stage: string, canary: CanarySettings): Promise<StageState> {
    return this.host.exclusive(async () => {
      checkPercent(canary.percentTraffic);
      if (!(await this.#history.get(canary.deploymentId)))
        throw new AdminError(404, `no deployment ${canary.deploymentId}`);
      this.#checkStage(stage, this.host.snapshot);
      const state = this.#current();
      await this.#commit(
        { ...state, canaries: { ...state.canaries, [stage]: canary }, updatedAt: this.#iso() },
        'canary',
      );
      return this.#current();
    });
  }

  /** promote: the stage's canary deployment becomes every stage's deployment; rollback: the canary is removed. */
  endCanary(stage: string, how: 'promote' | 'rollback'): Promise<StageState> {
    return this.host.exclusive(async () => {
      const state = this.#current();
      const canary = state.canaries[stage];
      if (!canary) throw new AdminError(404, `stage "${stage}" has no canary`);
      const { [stage]: _gone, ...rest } = state.canaries;
      const deploymentId = how === 'promote' ? canary.deploymentId : state.deploymentId;
      // Other stages' canaries stay (against the promoted deployment) unless it is theirs too.
      const canaries = Object.fromEntries(Object.entries(rest).filter(([, c]) => c.deploymentId !== deploymentId));
      await this.#commit({ ...state, deploymentId, canaries, updatedAt: this.#iso() }, `canary ${how}`);
      return this.#current();
    });
  }
}

function checkPercent(p: number): void {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100)
    throw new AdminError(400, `percentTraffic: expected a number from 0 to 100, got ${JSON.stringify(p)}`);
}

/** The 'deployments' service, after the store. */
export const DEPLOYMENTS_SERVICE: ServiceDef = {
  name: 'deployments',
  deps: [STORE],
  start(runtime) {
    const store = runtime.services.get(STORE);
    if (!store) throw new Error('deployments need the store service');
    return new DeploymentsService(store, runtime.log, () => runtime.clock.now());
  },
};
