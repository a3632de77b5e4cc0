import type { Feature } from '../feature.js';
import { IP_POLICY_CONFIG } from './schema.js';
import { ipPolicyFactory } from './index.js';

/** IP allow/deny lists (resource policy). */
export const manifest: Feature = { name: 'ip-policy', config: IP_POLICY_CONFIG, policies: [ipPolicyFactory] };
