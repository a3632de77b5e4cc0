import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import type { Level, Limit, Verdict } from './gcra.js';
import type { Limiter } from './limiter.js';
import { LIMITER } from './service.js';
import { storeFailureReply } from '../store/failure.js';
import type { PolicyFactory } from '../pipeline/policy.js';
import { routeOverrideKey } from './schema.js';
import type { Reply, RuntimeDeps } from '../pipeline/context.js';

function limiterService(deps: RuntimeDeps): Limiter {
  const l = deps.services.get(LIMITER);
  if (!l) throw new Error('the limiter service is not running');
  return l;
}

/** The 429 reply: Retry-After and the IETF RateLimit / RateLimit-Policy fields of the bucket that refused. */
export function throttledReply(v: Extract<Verdict, { ok: false }>): Reply {
  const { rate, burst } = v.level.limit;
  const retry = Math.max(1, Math.ceil(v.retryAfterMs / 1000));
  const window = Math.max(1, Math.ceil(burst / rate));
  return {
    error: GATEWAY_ERRORS.THROTTLED,
    headers: {
      'retry-after': String(retry),
      'ratelimit-policy': `"${v.level.label}";q=${burst};w=${window}`,
      ratelimit: `"${v.level.label}";r=0;t=${retry}`,
    },
  };
}

/**
 * Token buckets in AWS's order: usage plan (per key; the plan's per-route limit replaces its
 * throttle on that route) → route (stages.X.routeThrottle) → stage (stages.X.throttle) → global
 * (server.throttle). A request takes a token from each or from none (RateLimiter.attempt).
 */
export const throttlePolicyFactory: PolicyFactory = {
  name: 'throttle',
  phase: 'throttle',
  create(scope) {
    const stageRef = `${scope.api.name}/${scope.stageName}`;
    const override = routeOverrideKey(scope.key);
    const levels: Level[] = [];
    const routeLimit = override === undefined ? undefined : scope.stage.routeThrottle[override];
    if (routeLimit) levels.push({ key: `route:${stageRef} ${override}`, limit: routeLimit, label: 'route' });
    if (scope.stage.throttle) levels.push({ key: `stage:${stageRef}`, limit: scope.stage.throttle, label: 'stage' });
    if (scope.config.server.throttle)
      levels.push({ key: 'global', limit: scope.config.server.throttle, label: 'global' });
    // Per plan: the bucket key suffix (per-route override or the plan-wide bucket) and its limit.
    const plans = new Map<string, { suffix: string; limit: Limit }>();
    if (scope.route.apiKeyRequired) {
      for (const [name, plan] of Object.entries(scope.config.usagePlans)) {
        const ps = plan.stages[stageRef];
        if (!ps) continue;
        const perRoute = override === undefined ? undefined : ps.throttle[override];
        if (perRoute) plans.set(name, { suffix: ` ${stageRef} ${override}`, limit: perRoute });
        else if (plan.throttle) plans.set(name, { suffix: '', limit: plan.throttle });
      }
    }
    if (levels.length === 0 && plans.size === 0) return undefined;
    const deps = scope.deps;
    let limiter: Limiter | undefined;
    return {
      name: 'throttle',
      phase: 'throttle',
      access(ctx) {
        limiter ??= limiterService(deps);
        let all: readonly Level[] = levels;
        const plan = ctx.identity.usagePlan === undefined ? undefined : plans.get(ctx.identity.usagePlan);
        if (plan) {
          const key = `plan:${ctx.identity.usagePlan}:${ctx.identity.apiKeyId}${plan.suffix}`;
          all = [{ key, limit: plan.limit, label: 'plan' }, ...levels];
        }
        const v = limiter.attempt(all);
        // The Redis limiter answers later; closed under a Redis outage → 503 (src/store/failure.ts).
        if (v instanceof Promise) return v.then((w) => (w.ok ? undefined : throttledReply(w)), storeFailureReply);
        return v.ok ? undefined : throttledReply(v);
      },
    };
  },
};
