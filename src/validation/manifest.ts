import type { Feature } from '../feature.js';
import { VALIDATION_CONFIG } from './schema.js';
import { validationPolicyFactory } from './index.js';

/** Request validation: parameters and body models. */
export const manifest: Feature = { name: 'validation', config: VALIDATION_CONFIG, policies: [validationPolicyFactory] };
