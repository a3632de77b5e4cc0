import type { EngineRequest } from './server/engine/types.js';
import type { LoadedConfig } from './config/loaded.js';
import type { RuntimeDeps, Snapshot } from './pipeline/context.js';

/** A long-lived feature service (store, metrics, upstream registry, ...), kept across reloads. */
export interface Service {
  /** Called with a compiled reload before it replaces the current snapshot; throwing rejects the reload. */
  beforeSwap?(next: Snapshot): Promise<void> | void;
  /** Called after every successful reload swap. */
  onSnapshot?(snapshot: Snapshot): void;
  /** Called when a reload is rejected (the old snapshot keeps serving). */
  onReloadFailed?(error: Error): void;
  /** Called once the gateway is built, before it listens, with what a service may drive (the deployments feature). */
  attach?(host: GatewayHost): Promise<void> | void;
  close?(): Promise<void> | void;
}

/** Chooses the snapshot one request runs in: the current one or an alternate (a stage canary). */
export type SnapshotPick = (current: Snapshot, req: EngineRequest) => Snapshot;

/**
 * The running gateway as a service may drive it (src/gateway.ts implements it): compile config text,
 * swap a snapshot in as a reload does, and serve alternates beside it.
 */
export interface GatewayHost {
  readonly snapshot: Snapshot;
  readonly runtime: RuntimeDeps;
  /** Random numbers in [0, 1) for per-request choices (StartOptions.random; seeded in tests). */
  readonly random: () => number;
  /** Runs fn after the reload or install in progress: one at a time with reloads. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Validates and compiles config text as the config file's (relative paths from its directory), named
   * `name` in that directory for error locations (default: the config file's name); throws ConfigError.
   */
  compileText(text: string, name?: string): Promise<Snapshot>;
  /** The config file's text as it is on disk now. */
  readConfigFile(): Promise<string>;
  /** Swaps a compiled snapshot in as a reload does (every service's beforeSwap, then onSnapshot). Inside exclusive(). */
  install(next: Snapshot, reason: string): Promise<void>;
  /** Snapshots served beside the current one and the per-request choice; [] = the current one serves every request. */
  setAlternates(alternates: readonly Snapshot[], pick: SnapshotPick | undefined): void;
}

/**
 * A feature's service definition, listed in its manifest (src/<feature>/manifest.ts); src/features.ts
 * starts them in feature order, each after its `deps`. Policy factories must not need a service at
 * compile time (`portico validate` compiles without them): look it up at first use.
 */
export interface ServiceDef {
  /** Key in RuntimeDeps.services (a defineService key). */
  name: string;
  /** Services that must have started before this one (start order, src/kernel/services.ts startOrder). */
  deps?: readonly string[];
  start(runtime: RuntimeDeps, loaded: LoadedConfig): Promise<Service> | Service;
}
