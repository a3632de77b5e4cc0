import { AdminError, type AdminRoute, type AdminTarget } from '../admin/types.js';
import { parseRouteKey } from '../router/route-key.js';
import { CacheService } from './service.js';
import type { FlushFilter } from './store.js';

function service(target: AdminTarget): CacheService {
  return CacheService.of(target.runtime.services);
}

/** Checks the API, stage and filter against the running config; returns the filter. */
function flushFilter(target: AdminTarget, apiName: string, stageName: string, query: URLSearchParams): FlushFilter {
  const api = target.snapshot.apis.find((a) => a.name === apiName);
  if (!api)
    throw new AdminError(404, `no API "${apiName}" (APIs: ${target.snapshot.apis.map((a) => a.name).join(', ')})`);
  if (!api.stages.some((s) => s.name === stageName)) {
    throw new AdminError(
      404,
      `API "${apiName}" has no stage "${stageName}" (stages: ${api.stages.map((s) => s.name).join(', ')})`,
    );
  }
  const filter: FlushFilter = {};
  const route = query.get('route');
  if (route !== null) {
    const key = parseRouteKey(route);
    if (typeof key === 'string') throw new AdminError(400, `route: ${key}`);
    if (!api.routes.some((r) => r.key.key === key.key)) {
      throw new AdminError(
        400,
        `API "${apiName}" has no route "${key.key}" (routes: ${api.routes.map((r) => r.key.key).join(', ')})`,
      );
    }
    // Entries are filed under the GET route for HEAD routes (HEAD is answered from GET entries).
    filter.route = key.method === 'HEAD' ? `GET ${key.path}` : key.key;
  }
  const prefix = query.get('keyPrefix');
  if (prefix !== null) {
    if (!prefix) throw new AdminError(400, 'keyPrefix is empty; omit it to flush the whole stage');
    filter.keyPrefix = prefix;
  }
  return filter;
}

/** The response cache: statistics and flushes (docs/caching.md). */
export const CACHE_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/cache',
    description: 'response cache statistics per API stage',
    handle: ({ target }) => ({ body: { stages: service(target).stats() } }),
  },
  {
    method: 'DELETE',
    path: '/cache/:api/:stage',
    description: 'flush a stage cache; ?route=GET /pets/{id} and/or ?keyPrefix=GET /pets/ flush part of it',
    handle: async ({ target, params, query }) => {
      const api = params.api as string;
      const stage = params.stage as string;
      const filter = flushFilter(target, api, stage, query);
      const flushed = await service(target).flush(api, stage, filter);
      return { body: { api, stage, ...filter, flushed } };
    },
  },
];
