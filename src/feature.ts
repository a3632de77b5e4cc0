import type { AdminRoute } from './admin/types.js';
import type { CliCommand } from './kernel/cli.js';
import type { FeatureManifest } from './kernel/manifest.js';
import type { ApiHookFactory, IntegrationFactory, PolicyFactory } from './pipeline/policy.js';
import type { ServiceDef } from './services.js';

/** A feature manifest as the core consumes it (src/kernel/manifest.ts with the core's own types filled in). */
export type Feature = FeatureManifest<
  PolicyFactory,
  ApiHookFactory,
  ServiceDef,
  AdminRoute,
  CliCommand,
  IntegrationFactory
>;
