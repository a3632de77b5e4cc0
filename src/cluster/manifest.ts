import type { Feature } from '../feature.js';
import { CLUSTER_ROUTES } from './admin-routes.js';
import { restartCommand } from './cli.js';
import { WORKER_SERVICE } from './worker.js';

/** Worker processes and rolling restarts (docs/cluster.md). */
export const manifest: Feature = {
  name: 'cluster',
  services: [WORKER_SERVICE],
  adminRoutes: CLUSTER_ROUTES,
  commands: { restart: restartCommand },
};
