import type { Feature } from '../feature.js';
import { ipPolicyFactory } from './index.js';

/** IP allow/deny lists (resource policy). */
export const manifest: Feature = { name: 'ip-policy', policies: [ipPolicyFactory] };
