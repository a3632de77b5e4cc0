import { PHASE_ORDER } from './phases.js';
import type { ApiHookFactory, PolicyFactory } from './policy.js';
import { authorizerDefinitionsCheck, authorizerPolicyFactory } from '../authorizers/index.js';
import { corsHookFactory } from '../cors/index.js';
import { ipPolicyFactory } from '../ip-policy/index.js';
import { apiKeyPolicyFactory } from '../api-keys/policy.js';
import { throttlePolicyFactory } from '../throttle/policy.js';
import { quotaPolicyFactory } from '../api-keys/quota.js';
import { usagePlansCheck } from '../api-keys/usage-plans/checks.js';
import { cachePolicyFactory } from '../cache/index.js';
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
