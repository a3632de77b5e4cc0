import type { z } from 'zod';
import type { ServiceRegistry } from './services.js';
import type { AccessPhase } from './lifecycle.js';
import type { GatewayContext, GatewayReply, PhasePolicy } from './context.js';

/**
 * Where a feature's config fields go in the config file. Each slot is a zod shape spread into that
 * object of the root schema, which src/features.ts assembles (no feature imports the root).
 */
export interface ConfigFragment {
  /** Top-level keys (`usagePlans`, `observability`). */
  root?: z.ZodRawShape;
  server?: z.ZodRawShape;
  admin?: z.ZodRawShape;
  api?: z.ZodRawShape;
  stage?: z.ZodRawShape;
  route?: z.ZodRawShape;
  /** Fields of the http_proxy integration. */
  httpProxy?: z.ZodRawShape;
  /** Integration types of their own (`type: function`). */
  integrations?: z.ZodObject[];
  /** Whole-config checks (the root's superRefine). */
  refine?: (config: never, ctx: z.RefinementCtx) => void;
}

/**
 * A long-lived service of a feature, started with the gateway after its `deps` and closed in reverse
 * order. `R` is the gateway's runtime (RuntimeDeps) and `L` the loaded config; both are core types,
 * left generic so the kernel imports nothing above it.
 */
export interface ServiceDefinition<R = unknown, L = unknown> {
  /** Key in the service registry (see defineService). */
  name: string;
  /** Services that must be running before this one starts. */
  deps?: readonly string[];
  start(runtime: R, loaded: L): unknown;
}

/** A metric a feature exports, for the docs and the metrics page (the registry itself is the observability feature's). */
export interface MetricDescription {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
}

/**
 * Everything a feature brings, in one object: the unit src/features.ts lists, and the public plugin
 * API (docs/plugins.md). `P` are its core-facing policy/hook factories, `S` service definitions,
 * `A` admin routes, `C` CLI commands and `I` integration compilers (typed by the core, which consumes them).
 */
export interface FeatureManifest<
  P = unknown,
  H = unknown,
  S = ServiceDefinition,
  A = unknown,
  C = unknown,
  I = unknown,
> {
  /** Folder name (`cache`, `api-keys`) or plugin name. */
  readonly name: string;
  /** Its config fields; the feature derives its config types from these (z.infer), not from the root. */
  readonly config?: ConfigFragment;
  /** Route policies, each bound to one access phase. */
  readonly policies?: readonly P[];
  /** API-stage hooks: preRoute (WAF, CORS preflight) and onResponseHeaders (CORS). */
  readonly hooks?: readonly H[];
  /** Integration types of its own (`type: function`), by type name; their config schemas are in `config.integrations`. */
  readonly integrations?: Readonly<Record<string, I>>;
  readonly services?: readonly S[];
  readonly adminRoutes?: readonly A[];
  /** CLI commands by name (`portico cache ...`). */
  readonly commands?: Readonly<Record<string, C>>;
  readonly metrics?: readonly MetricDescription[];
}

/**
 * What a plugin file exports as `manifest` (or default): a name, a zod schema for its `config`, and
 * policies written against the narrow context. The gateway wraps it into a FeatureManifest.
 */
export interface PluginManifest<C = unknown> {
  readonly name: string;
  /** Validates `plugins[i].config`; errors are reported at that path. */
  readonly configSchema?: z.ZodType<C>;
  /** Made once per load with the validated config. */
  policies?(config: C, api: PluginApi): readonly PhasePolicy[];
  /** Metrics the plugin counts; registered like a built-in's (`portico_plugin_<name>_...`). */
  readonly metrics?: readonly MetricDescription[];
}

/** What a plugin gets at load beside its config. */
export interface PluginApi {
  /** Gateway responses by key (GATEWAY_ERRORS), to answer with. */
  readonly errors: Readonly<Record<string, GatewayReply['error']>>;
  /** Increments one of the plugin's declared counters. */
  count(metric: string, by?: number): void;
  readonly services: ServiceRegistry;
}

export type { AccessPhase, GatewayContext, GatewayReply, PhasePolicy };
