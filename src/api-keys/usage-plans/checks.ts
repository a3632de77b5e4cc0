import type { ApiConfig } from '../../config/schema.js';
import type { ApiHookFactory, ApiScope } from '../../pipeline/policy.js';
import { routeOverrideKey } from '../../throttle/schema.js';
import { parseRouteKey, type RouteKey } from '../../router/route-key.js';

function overrideKeys(api: ApiConfig): Set<string> {
  const keys = new Set<string>();
  for (const r of api.routes) {
    const k = parseRouteKey(r.route);
    if (typeof k === 'string') continue;
    const o = routeOverrideKey(k as RouteKey);
    if (o !== undefined) keys.add(o);
  }
  return keys;
}

function unknownRoute(key: string, known: Set<string>): string {
  const list = [...known]
    .slice(0, 8)
    .map((k) => `"${k}"`)
    .join(', ');
  return `no route matches "${key}"; expected a route's path and method${list ? `, one of ${list}` : ''}`;
}

/** Plan stage references and their per-route keys; checked once per config (by the first API's first stage). */
function checkPlans(scope: ApiScope): void {
  const apis = new Map(scope.config.apis.map((a) => [a.name, a]));
  for (const [name, plan] of Object.entries(scope.config.usagePlans)) {
    for (const [ref, ps] of Object.entries(plan.stages)) {
      const slash = ref.indexOf('/');
      const apiName = ref.slice(0, slash);
      const stageName = ref.slice(slash + 1);
      const api = apis.get(apiName);
      const at = ['usagePlans', name, 'stages', ref];
      if (!api) {
        scope.issue(at, `unknown API "${apiName}"; APIs: ${[...apis.keys()].join(', ')}`);
        continue;
      }
      if (!(stageName in api.stages)) {
        scope.issue(at, `API "${apiName}" has no stage "${stageName}"; stages: ${Object.keys(api.stages).join(', ')}`);
        continue;
      }
      const known = overrideKeys(api);
      for (const key of Object.keys(ps.throttle))
        if (!known.has(key)) scope.issue([...at, 'throttle', key], unknownRoute(key, known));
    }
  }
}

/** Config checks for usage plans and stage route throttles; makes no hooks. */
export const usagePlansCheck: ApiHookFactory = {
  name: 'usage-plans-check',
  create(scope) {
    const firstStage = Object.keys(scope.api.stages)[0] === scope.stageName;
    if (scope.apiIndex === 0 && firstStage) checkPlans(scope);
    const keys = Object.keys(scope.stage.routeThrottle);
    if (keys.length) {
      const known = overrideKeys(scope.api);
      for (const key of keys) {
        if (!known.has(key))
          scope.issue(scope.at('stages', scope.stageName, 'routeThrottle', key), unknownRoute(key, known));
      }
    }
    return undefined;
  },
};
