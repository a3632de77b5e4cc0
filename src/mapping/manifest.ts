import type { Feature } from '../feature.js';
import { mappingPolicyFactory } from './index.js';

/** Parameter mapping of the upstream request. */
export const manifest: Feature = { name: 'mapping', policies: [mappingPolicyFactory] };
