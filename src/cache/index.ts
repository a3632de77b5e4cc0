import type { PolicyFactory, RouteScope } from '../pipeline/policy.js';
import { CachePolicy } from './policy.js';
import { compileKeySpec } from './key.js';
import { CACHE_KEY_PARAMETER, effectiveCacheConfig, stageCacheConfig } from './schema.js';
import type { Policy } from '../pipeline/context.js';

/**
 * The response cache ('cache' phase, last before the integration). A route gets a policy when the
 * stage cache is enabled (or the route enables it), TTL is above 0, and the route can match one of
 * the cached methods. See docs/caching.md.
 */
export const cachePolicyFactory: PolicyFactory = {
  name: 'cache',
  phase: 'cache',
  create(scope: RouteScope): Policy | undefined {
    const stage = stageCacheConfig(scope.stage);
    const routeCache = scope.route.cache;
    const config = effectiveCacheConfig(stage, routeCache);
    // Route-level lists are checked once, in the first stage, against the route's own parameters.
    if (routeCache?.cacheKeyParameters && scope.stageName === Object.keys(scope.api.stages)[0]) {
      const params = new Set(scope.key.segments.flatMap((s) => (s.kind === 'static' ? [] : [s.name])));
      routeCache.cacheKeyParameters.forEach((p, i) => {
        const m = CACHE_KEY_PARAMETER.exec(p);
        if (m?.[1] === 'path' && !params.has(m[2] as string)) {
          const known = [...params];
          scope.issue(
            scope.at('routes', scope.routeIndex, 'cache', 'cacheKeyParameters', i),
            `route "${scope.key.key}" has no path parameter "${m[2]}"${known.length ? ` (it has ${known.join(', ')})` : ''}`,
          );
        }
      });
    }
    if (!config.enabled || config.ttlSeconds === 0) return undefined;
    const m = scope.key.method;
    const matches =
      m === 'ANY' || config.methods.includes(m as never) || (m === 'HEAD' && config.methods.includes('GET'));
    if (!matches) return undefined;
    return new CachePolicy({
      config,
      capacityMB: stage.capacityMB,
      spec: compileKeySpec(scope.key.key, config.cacheKeyParameters, config.perKey),
      api: scope.api.name,
      stage: scope.stageName,
      metricsRoute: scope.key.isDefault ? '$default' : scope.key.path,
      deps: scope.deps,
    });
  },
};
