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
  close?(): Promise<void> | void;
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
