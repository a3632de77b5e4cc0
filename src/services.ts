import type { LoadedConfig } from './config/load.js';
import type { RuntimeDeps } from './pipeline/policy.js';
import type { Snapshot } from './pipeline/snapshot.js';
import { OBSERVABILITY_SERVICES } from './observability/services.js';
import { upstreamService } from './upstream/registry.js';
import { authorizerServiceDef } from './policies/authorizer/service.js';
import { STORE_SERVICE } from './store/service.js';
import { LIMITER_SERVICE } from './limiter/service.js';
import { API_KEYS_SERVICE } from './keys/service.js';
import { functionServiceDef } from './integrations/function/pool.js';
import { CACHE_SERVICE_DEF } from './cache/service.js';
import { WORKER_SERVICE } from './cluster/worker.js';

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

export interface ServiceDef {
  /** Key in RuntimeDeps.services. */
  name: string;
  start(runtime: RuntimeDeps, loaded: LoadedConfig): Promise<Service> | Service;
}

/**
 * Services started with the gateway, in order, one line each. Policy factories must not need a
 * service at compile time (`portico validate` compiles without them): look it up at first use.
 */
export const SERVICES: ServiceDef[] = [
  ...OBSERVABILITY_SERVICES,
  upstreamService,
  authorizerServiceDef,
  STORE_SERVICE,
  LIMITER_SERVICE,
  API_KEYS_SERVICE,
  functionServiceDef,
  CACHE_SERVICE_DEF,
  WORKER_SERVICE,
];
