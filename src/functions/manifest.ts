import type { Feature } from '../feature.js';
import { FUNCTION_CONFIG } from './schema.js';
import { functionIntegrationFactory } from './compile.js';
import { functionServiceDef } from './pool.js';

/** Function integrations: handlers run in worker threads (docs/functions.md). */
export const manifest: Feature = {
  name: 'functions',
  config: FUNCTION_CONFIG,
  integrations: { function: functionIntegrationFactory },
  services: [functionServiceDef],
};
