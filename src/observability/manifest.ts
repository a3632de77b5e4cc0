import type { Feature } from '../feature.js';
import { OBSERVABILITY_CONFIG } from './schema.js';
import { OBSERVABILITY_ROUTES } from './admin-routes.js';
import { OBSERVABILITY_SERVICES } from './services.js';

/** Metrics, access log, tracing, alarms (docs/observability.md). */
export const manifest: Feature = {
  name: 'observability',
  config: OBSERVABILITY_CONFIG,
  services: OBSERVABILITY_SERVICES,
  adminRoutes: OBSERVABILITY_ROUTES,
};
