import { OBSERVABILITY_ROUTES } from '../observability/admin-routes.js';
import { CACHE_ROUTES } from '../cache/admin-routes.js';
import { CORE_ROUTES } from './core-routes.js';
import { KEY_ROUTES } from '../keys/admin-routes.js';
import { UPSTREAM_ROUTES } from '../upstream/admin.js';
import type { AdminRoute } from './server.js';
import { CLUSTER_ROUTES } from '../cluster/admin-routes.js';

/** Every admin endpoint, one spread per feature module. */
export const ADMIN_ROUTES: readonly AdminRoute[] = [...CORE_ROUTES, ...CLUSTER_ROUTES, ...KEY_ROUTES, ...UPSTREAM_ROUTES, ...OBSERVABILITY_ROUTES, ...CACHE_ROUTES];
