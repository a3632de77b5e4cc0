import type { Feature } from '../feature.js';
import { DEPLOYMENT_ROUTES } from './admin-routes.js';
import { applyCommand, canaryCommand, deploymentsCommand, diffCommand, rollbackCommand } from './cli.js';
import { DEPLOYMENTS_SERVICE } from './service.js';

/** Deployments: numbered config snapshots in the store, diff/apply/rollback, stage canaries (docs/operations.md#deployments). */
export const manifest: Feature = {
  name: 'deployments',
  services: [DEPLOYMENTS_SERVICE],
  adminRoutes: DEPLOYMENT_ROUTES,
  commands: {
    diff: diffCommand,
    apply: applyCommand,
    rollback: rollbackCommand,
    deployments: deploymentsCommand,
    canary: canaryCommand,
  },
};
