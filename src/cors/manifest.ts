import type { Feature } from '../feature.js';
import { CORS_CONFIG } from './schema.js';
import { corsHookFactory } from './index.js';

/** CORS: preflight answers and response headers (docs/access-control.md). */
export const manifest: Feature = { name: 'cors', config: CORS_CONFIG, hooks: [corsHookFactory] };
