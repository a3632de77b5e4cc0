import { PHASE_ORDER } from './phases.js';
import type { ApiHookFactory, PolicyFactory } from './policy.js';
import { authorizerDefinitionsCheck, authorizerPolicyFactory } from '../policies/authorizer/index.js';
import { corsHookFactory } from '../cors/index.js';
import { ipPolicyFactory } from '../ip-policy/index.js';
import { apiKeyPolicyFactory } from '../policies/api-key/index.js';
import { throttlePolicyFactory } from '../policies/throttle/index.js';
import { quotaPolicyFactory } from '../policies/quota/index.js';
import { usagePlansCheck } from '../usage-plans/checks.js';
import { cachePolicyFactory } from '../policies/cache/index.js';
import { validationPolicyFactory } from '../validation/index.js';
import { mappingPolicyFactory } from '../mapping/index.js';
import { wafHookFactory } from '../waf/index.js';

/**
 * Every policy factory, one line each. Adding a policy = a folder under src/policies/ plus one line
 * here. Order within the list does not matter: policies run by phase (phases.ts).
 */
const POLICIES: PolicyFactory[] = [
  ipPolicyFactory,
  authorizerPolicyFactory,
  apiKeyPolicyFactory,
  throttlePolicyFactory,
  quotaPolicyFactory,
  cachePolicyFactory,
  validationPolicyFactory,
  mappingPolicyFactory,
];

/** API-stage hooks (pre-route answers such as CORS preflight; response header hooks), in run order. */
export const API_HOOKS: ApiHookFactory[] = [
  authorizerDefinitionsCheck,
  usagePlansCheck,
  wafHookFactory, // first to answer: the WAF sees CORS preflights too, as on AWS
  corsHookFactory,
];

export const POLICY_FACTORIES: readonly PolicyFactory[] = [...POLICIES].sort((a, b) => PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase]);

/** The built-in factories, then `extra` (plugins), in phase order; within a phase the built-in runs first (a stable sort). */
export function withExtraPolicies(extra: readonly PolicyFactory[] | undefined): readonly PolicyFactory[] {
  if (!extra?.length) return POLICY_FACTORIES;
  return [...POLICY_FACTORIES, ...extra].sort((a, b) => PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase]);
}
