import type { OutgoingHttpHeaders } from 'node:http';
import type { Clock } from '../clock.js';
import type { ConfigPath } from '../config/errors.js';
import type { ApiConfig, PorticoConfig, RouteConfig, StageConfig } from '../config/schema.js';
import type { GatewayErrorDef } from '../gateway-responses.js';
import type { Logger } from '../logger.js';
import type { PoolRegistry } from '../forward/pools.js';
import type { RouteKey } from '../router/route-key.js';
import type { RequestContext } from './context.js';
import type { Phase } from './phases.js';
import { ServiceRegistry } from '../kernel/services.js';

export type Awaitable<T> = T | Promise<T>;

/** Ends the request with a gateway response. */
export interface Reply {
  error: GatewayErrorDef;
  /** Extra response headers (e.g. Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
}

/** A policy compiled for one route in one stage. */
export interface Policy {
  readonly name: string;
  readonly phase: Phase;
  /** undefined: go on; a Reply: end with that gateway response; true: the policy answered the request itself (a cache hit). */
  access(ctx: RequestContext): Awaitable<Reply | true | undefined>;
}

/** Runs before routing for every request an API stage receives (CORS preflight, WAF). Returns true if it answered. */
export interface PreRouteHook {
  readonly name: string;
  onRequest(ctx: RequestContext): Awaitable<Reply | boolean>;
}

/** Adjusts response headers of every response of a route, upstream's and gateway's alike (CORS). */
export type ResponseHeaderHook = (ctx: RequestContext, headers: OutgoingHttpHeaders) => void;

/**
 * Long-lived collaborators, created once per gateway and kept across reloads. State that must
 * survive a reload (buckets, health, pools, caches) lives here, keyed by stable names.
 */
export interface RuntimeDeps {
  pools: PoolRegistry;
  clock: Clock;
  log: Logger;
  /** Feature services (store, metrics, upstream registry, ...) register themselves here by name. */
  services: ServiceRegistry;
  /** Called once per request after the response is finished or the connection closed (logs, metrics). */
  requestDone: ((ctx: RequestContext) => void)[];
}

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

/** Runtime deps with defaults, for tools and tests that compile without a running gateway. */
export function createRuntimeDeps(init: Partial<RuntimeDeps> & Pick<RuntimeDeps, 'pools' | 'log'>): RuntimeDeps {
  return { clock: init.clock ?? { now: () => Date.now() }, services: init.services ?? new ServiceRegistry(), requestDone: init.requestDone ?? [], ...init };
}
