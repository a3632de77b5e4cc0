import type { Feature } from '../feature.js';
import { validationPolicyFactory } from './index.js';

/** Request validation: parameters and body models. */
export const manifest: Feature = { name: 'validation', policies: [validationPolicyFactory] };
