import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import { API_KEYS, type ApiKeysService } from './service.js';
import type { PolicyFactory } from '../pipeline/policy.js';
import type { Reply, RuntimeDeps } from '../pipeline/context.js';

const FORBIDDEN: Reply = { error: GATEWAY_ERRORS.INVALID_API_KEY };

/** The 'apiKeys' service, looked up at first use (compiling needs no running services). */
export function apiKeysService(deps: RuntimeDeps): ApiKeysService {
  const svc = deps.services.get(API_KEYS);
  if (!svc) throw new Error('the apiKeys service is not running');
  return svc;
}

/**
 * apiKeyRequired routes: the key (from the apiKeyHeader header, or the authorizer's
 * usageIdentifierKey) must exist, be enabled and unexpired, and be in a usage plan covering this
 * API stage. Sets ctx.identity.apiKeyId and usagePlan for the throttle and quota phases.
 */
export const apiKeyPolicyFactory: PolicyFactory = {
  name: 'api-key',
  phase: 'apiKey',
  create(scope) {
    if (!scope.route.apiKeyRequired) return undefined;
    const stageRef = `${scope.api.name}/${scope.stageName}`;
    const plans = new Set(
      Object.entries(scope.config.usagePlans)
        .filter(([, p]) => stageRef in p.stages)
        .map(([name]) => name),
    );
    const fromHeader = scope.api.apiKeySource === 'HEADER';
    const header = scope.api.apiKeyHeader.toLowerCase();
    const deps = scope.deps;
    let svc: ApiKeysService | undefined;
    return {
      name: 'api-key',
      phase: 'apiKey',
      access(ctx) {
        svc ??= apiKeysService(deps);
        const raw = fromHeader ? ctx.req.headers[header] : ctx.identity.usageIdentifierKey;
        if (typeof raw !== 'string' || raw === '') return FORBIDDEN;
        const key = svc.registry.lookup(raw);
        if (!key || !svc.registry.isActive(key)) return FORBIDDEN;
        let plan: string | undefined;
        for (const p of key.plans) {
          if (plans.has(p)) {
            plan = p;
            break;
          }
        }
        if (plan === undefined) return FORBIDDEN;
        ctx.identity.apiKeyId = key.id;
        ctx.identity.usagePlan = plan;
        return undefined;
      },
    };
  },
};
