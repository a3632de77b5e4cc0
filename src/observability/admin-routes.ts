import { AdminError, type AdminRoute } from '../admin/types.js';
import { ALARMS, METRICS } from './keys.js';

/**
 * GET /metrics (Prometheus text format) and GET /alarms. /metrics needs the admin bearer token
 * unless `admin.metricsPublic: true` (Prometheus can send one: `authorization.credentials_file`).
 */
export const OBSERVABILITY_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/metrics',
    description:
      'Prometheus metrics, of every worker with --workers (?scope=process: this process only); token unless admin.metricsPublic',
    public: (target) => target.snapshot.config.admin.metricsPublic,
    metricsListener: true,
    handle: async ({ target, query }) => {
      const metrics = target.runtime.services.get(METRICS);
      if (!metrics) throw new AdminError(404, 'metrics are not running');
      const scope = query.get('scope');
      if (scope !== null && scope !== 'process') throw new AdminError(400, `scope expected "process", got "${scope}"`);
      const text = scope ? await metrics.scrapeProcess() : await metrics.scrape();
      return { text, contentType: metrics.registry.contentType };
    },
  },
  {
    method: 'GET',
    path: '/alarms',
    description: 'alarms fired recently (newest last)',
    handle: ({ target }) => {
      const alarms = target.runtime.services.get(ALARMS);
      return { body: { fired: alarms?.fired ?? [] } };
    },
  },
];
