import type { Feature } from '../feature.js';
import { UPSTREAM_CONFIG } from './schema.js';
import { UPSTREAM_ROUTES } from './admin.js';
import { upstreamsCommand } from './cli.js';
import { upstreamService } from './registry.js';

/** Named upstreams: balancing, health, breakers, retries (docs/upstreams.md). */
export const manifest: Feature = {
  name: 'upstreams',
  config: UPSTREAM_CONFIG,
  services: [upstreamService],
  adminRoutes: UPSTREAM_ROUTES,
  commands: { upstreams: upstreamsCommand },
};
