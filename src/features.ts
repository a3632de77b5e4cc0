/**
 * The composition root: every feature, in order, one line each. The root config schema (and so the
 * loader and the JSON Schema), the compiled pipeline, the gateway's services (started in this order,
 * after their `deps`), the admin API and the CLI all take this list. Only the entry points import
 * this file: src/gateway.ts, src/cli/*, src/index.ts, the config-load thread and scripts/gen-schema.ts
 * (.dependency-cruiser.cjs).
 */
import { CORE_ROUTES } from './admin/core-routes.js';
import { loadConfigFileWith, loadConfigTextWith } from './config/load.js';
import type { LoadedConfig } from './config/loaded.js';
import { buildConfigSchema, type ConfigSchema } from './config/schema.js';
import { compileFeatures } from './pipeline/registry.js';
import { type CompileDeps, compileSnapshot } from './pipeline/snapshot.js';
import type { AdminRoute } from './admin/types.js';
import type { Feature } from './feature.js';
import type { CliCommand } from './kernel/cli.js';
import { startOrder } from './kernel/services.js';
import type { ServiceDef } from './services.js';
import { manifest as observability } from './observability/manifest.js';
import { manifest as upstreams } from './upstream/manifest.js';
import { manifest as authorizers } from './authorizers/manifest.js';
import { manifest as store } from './store/manifest.js';
import { manifest as acme } from './edge/acme/manifest.js';
import { manifest as throttle } from './throttle/manifest.js';
import { manifest as apiKeys } from './api-keys/manifest.js';
import { manifest as functions } from './functions/manifest.js';
import { manifest as cache } from './cache/manifest.js';
import { manifest as cluster } from './cluster/manifest.js';
import { manifest as waf } from './waf/manifest.js';
import { manifest as cors } from './cors/manifest.js';
import { manifest as ipPolicy } from './ip-policy/manifest.js';
import { manifest as validation } from './validation/manifest.js';
import { manifest as mapping } from './mapping/manifest.js';
import { manifest as plugins } from './plugins/manifest.js';
import { manifest as deployments } from './deployments/manifest.js';
import { manifest as dashboard } from './dashboard/manifest.js';
import type { Snapshot } from './pipeline/context.js';

export const FEATURES: readonly Feature[] = [
  observability,
  upstreams,
  authorizers,
  store,
  acme,
  throttle,
  apiKeys,
  functions,
  cache,
  cluster,
  waf,
  cors,
  ipPolicy,
  validation,
  mapping,
  plugins,
  deployments,
  dashboard,
];

/** The root config schema: the core's fields and every feature's fragment, in list order. */
export const configSchema: ConfigSchema = buildConfigSchema(FEATURES.map((f) => f.config));

/** Reads and validates a config file against the root schema (src/config/load.ts). */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  return loadConfigFileWith(configSchema, file, env);
}

/** Parses and validates config text against the root schema. */
export function loadConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return loadConfigTextWith(configSchema, text, file, env);
}

/** Compiles a loaded config with the built-in features, then the config's plugins (src/plugins/load.ts), each a feature too. */
export function compileConfig(
  loaded: LoadedConfig,
  deps: Omit<CompileDeps, 'features'>,
  plugins: readonly Feature[] = [],
): Snapshot {
  return compileSnapshot(loaded, {
    ...deps,
    features: compileFeatures(plugins.length ? [...FEATURES, ...plugins] : FEATURES),
  });
}

/** Services of the given features in start order: list order, each after its deps. */
export function featureServices(features: readonly Feature[] = FEATURES): ServiceDef[] {
  return startOrder(features.flatMap((f) => f.services ?? []));
}

/** The admin API's endpoints: the core's (status, routes, reload), then each feature's. */
export function adminRoutes(features: readonly Feature[] = FEATURES): AdminRoute[] {
  return [...CORE_ROUTES, ...features.flatMap((f) => f.adminRoutes ?? [])];
}

/** CLI commands the features add (`portico cache`, `portico keys`, ...), by name. */
export function featureCommands(features: readonly Feature[] = FEATURES): Record<string, CliCommand> {
  const out: Record<string, CliCommand> = {};
  for (const f of features) Object.assign(out, f.commands ?? {});
  return out;
}
