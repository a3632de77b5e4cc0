import { routeRows } from '../pipeline/route-table.js';
import type { AdminRoute } from './types.js';

/** Status, routes and reload. */
export const CORE_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/status',
    description: 'revision, config, last reload',
    handle: ({ target }) => ({ body: target.status() }),
  },
  {
    method: 'GET',
    path: '/routes',
    description: 'the route table',
    handle: ({ target }) => ({ body: routeRows(target.snapshot) }),
  },
  {
    method: 'POST',
    path: '/reload',
    description: 'reload the config file',
    handle: async ({ target }) => {
      const r = await target.reload('admin');
      return { status: r.ok ? 200 : 400, body: r };
    },
  },
];
