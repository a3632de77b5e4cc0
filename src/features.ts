/**
 * The composition root: every feature, in order, one line each. The gateway's services (started in
 * this order, after their `deps`), the admin API and the CLI take this list. Only src/gateway.ts,
 * src/cli/* and scripts/gen-schema.ts import this file (.dependency-cruiser.cjs).
 */
import { CORE_ROUTES } from './admin/core-routes.js';
import type { AdminRoute } from './admin/types.js';
import type { Feature } from './feature.js';
import type { CliCommand } from './kernel/cli.js';
import { startOrder } from './kernel/services.js';
import type { ServiceDef } from './services.js';
import { manifest as observability } from './observability/manifest.js';
import { manifest as upstreams } from './upstream/manifest.js';
import { manifest as authorizers } from './policies/authorizer/manifest.js';
import { manifest as store } from './store/manifest.js';
import { manifest as throttle } from './limiter/manifest.js';
import { manifest as apiKeys } from './keys/manifest.js';
import { manifest as functions } from './integrations/function/manifest.js';
import { manifest as cache } from './cache/manifest.js';
import { manifest as cluster } from './cluster/manifest.js';
import { manifest as waf } from './waf/manifest.js';
import { manifest as cors } from './cors/manifest.js';
import { manifest as ipPolicy } from './ip-policy/manifest.js';
import { manifest as validation } from './validation/manifest.js';
import { manifest as mapping } from './mapping/manifest.js';
import { manifest as plugins } from './plugins/manifest.js';

export const FEATURES: readonly Feature[] = [
  observability,
  upstreams,
  authorizers,
  store,
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
];

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
