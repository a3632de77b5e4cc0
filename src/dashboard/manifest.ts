import type { Feature } from '../feature.js';
import { DASHBOARD_ROUTES } from './admin-routes.js';

/** The web dashboard on the admin listener (docs/operations.md#dashboard). */
export const manifest: Feature = { name: 'dashboard', adminRoutes: DASHBOARD_ROUTES };
