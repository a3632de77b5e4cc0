import type { Feature } from '../feature.js';
import { MAPPING_CONFIG } from './schema.js';
import { mappingPolicyFactory } from './index.js';

/** Parameter mapping of the upstream request. */
export const manifest: Feature = { name: 'mapping', config: MAPPING_CONFIG, policies: [mappingPolicyFactory] };
