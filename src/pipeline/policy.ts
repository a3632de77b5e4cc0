import type { ConfigPath } from '../config/errors.js';
import type { LoadedConfig } from '../config/loaded.js';
import type { ApiConfig, IntegrationConfig, PorticoConfig, RouteConfig, StageConfig } from '../config/schema.js';
import type { RouteKey } from '../router/route-key.js';
import type { Integration, Policy, PreRouteHook, ResponseHeaderHook, RuntimeDeps } from './context.js';
import type { Phase } from './phases.js';
import { ServiceRegistry } from '../kernel/services.js';

export interface ApiScope {
  config: PorticoConfig;
  api: ApiConfig;
  apiIndex: number;
  stageName: string;
  stage: StageConfig;
  deps: RuntimeDeps;
  /** Directory of the config file: relative paths in the config (function modules) resolve against it. */
  configDir: string;
  /** Reports a config problem at a path (relative to the config root). */
  issue(path: ConfigPath, message: string): void;
  /** ['apis', apiIndex, ...p] */
  at(...p: (string | number)[]): (string | number)[];
}

export interface RouteScope extends ApiScope {
  route: RouteConfig;
  routeIndex: number;
  key: RouteKey;
}

/** Makes a route's policy for one phase, or nothing if the route doesn't use it. */
export interface PolicyFactory {
  readonly name: string;
  readonly phase: Phase;
  create(scope: RouteScope): Policy | undefined;
}

/** Makes an API stage's pre-route hook and/or response header hook. */
export interface ApiHookFactory {
  readonly name: string;
  create(scope: ApiScope): { preRoute?: PreRouteHook; responseHeaders?: ResponseHeaderHook } | undefined;
}

/** Compiles a route's integration of a feature's type for one stage; reports problems through `scope.issue` (once, at stage 0). */
export interface IntegrationFactory {
  create(config: IntegrationConfig, scope: IntegrationScope): Integration | undefined;
}

export interface IntegrationScope {
  loaded: LoadedConfig;
  api: ApiConfig;
  stageIndex: number;
  /** Config path of the integration. */
  path: (string | number)[];
  runtime: RuntimeDeps;
  maxBodyBytes: number;
  issue(path: ConfigPath, message: string): void;
}

/** Runtime deps with defaults, for tools and tests that compile without a running gateway. */
export function createRuntimeDeps(init: Partial<RuntimeDeps> & Pick<RuntimeDeps, 'pools' | 'log'>): RuntimeDeps {
  return {
    clock: init.clock ?? { now: () => Date.now() },
    services: init.services ?? new ServiceRegistry(),
    requestDone: init.requestDone ?? [],
    ...init,
  };
}
