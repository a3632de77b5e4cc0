import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import type { PolicyFactory } from '../pipeline/policy.js';
import { quotaFailure } from '../store/failure.js';
import type { Store } from '../store/store.js';
import { STORE } from '../store/keys.js';
import { quotaPeriod } from './usage-plans/period.js';
import type { QuotaConfig } from './usage-plans/schema.js';
import type { RuntimeDeps } from '../pipeline/context.js';

const DAY_MS = 86_400_000;

function storeService(deps: RuntimeDeps): Store {
  const s = deps.services.get(STORE);
  if (!s) throw new Error('the store service is not running');
  return s;
}

/**
 * Usage-plan quotas: one counter per plan, key and period in the store; a request that would pass
 * the limit gets 429 {"message":"Limit Exceeded"} and is not counted.
 */
export const quotaPolicyFactory: PolicyFactory = {
  name: 'quota',
  phase: 'quota',
  create(scope) {
    if (!scope.route.apiKeyRequired) return undefined;
    const stageRef = `${scope.api.name}/${scope.stageName}`;
    const quotas = new Map<string, QuotaConfig>();
    for (const [name, plan] of Object.entries(scope.config.usagePlans)) {
      if (plan.quota && plan.stages[stageRef]) quotas.set(name, plan.quota);
    }
    if (quotas.size === 0) return undefined;
    const deps = scope.deps;
    let store: Store | undefined;
    return {
      name: 'quota',
      phase: 'quota',
      access(ctx) {
        const plan = ctx.identity.usagePlan;
        const q = plan === undefined ? undefined : quotas.get(plan);
        if (!q) return undefined;
        store ??= storeService(deps);
        const now = deps.clock.now();
        const { start, end } = quotaPeriod(now, q);
        const key = `quota:${plan}:${ctx.identity.apiKeyId}:${start}`;
        const s = store;
        return s.consume(key, 1, q.limit, end + DAY_MS).then(
          (r) =>
            r.ok
              ? undefined
              : {
                  error: GATEWAY_ERRORS.QUOTA_EXCEEDED,
                  headers: { 'retry-after': String(Math.max(1, Math.ceil((end - now) / 1000))) },
                },
          // Redis unavailable: store.failure.quota (open or closed), src/store/failure.ts.
          (err: unknown) => quotaFailure(s, err, deps.log),
        );
      },
    };
  },
};
