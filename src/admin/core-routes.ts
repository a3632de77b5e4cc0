import { routeRows } from '../pipeline/route-table.js';
import type { AdminRoute } from './types.js';

/**
 * Health, status, routes and reload. /healthz and /readyz need no token (probes send none) and say
 * nothing about the config beyond whether it is loaded; they are on the metrics listener too.
 */
export const CORE_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/healthz',
    description: 'liveness: 200 while the process answers (no token)',
    public: true,
    metricsListener: true,
    handle: () => ({ body: { status: 'ok' } }),
  },
  {
    method: 'GET',
    path: '/readyz',
    description: 'readiness: 200 when the config is loaded and the store answers, else 503 with the reason (no token)',
    public: true,
    metricsListener: true,
    handle: async ({ target }) => {
      const r = await target.readiness();
      return { status: r.ready ? 200 : 503, body: { status: r.ready ? 'ready' : 'not ready', ...r } };
    },
  },
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
