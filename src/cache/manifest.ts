import type { Feature } from '../feature.js';
import { CACHE_CONFIG } from './schema.js';
import { cachePolicyFactory } from './index.js';
import { CACHE_ROUTES } from './admin-routes.js';
import { cacheCommand } from './cli.js';
import { CACHE_SERVICE_DEF } from './service.js';

/** The response cache: policy, stores, admin and CLI (docs/caching.md). */
export const manifest: Feature = {
  name: 'cache',
  config: CACHE_CONFIG,
  policies: [cachePolicyFactory],
  services: [CACHE_SERVICE_DEF],
  adminRoutes: CACHE_ROUTES,
  commands: { cache: cacheCommand },
};
