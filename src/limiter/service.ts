import type { ServiceDef } from '../services.js';
import { RateLimiter } from './gcra.js';

/** The 'limiter' service: every token bucket of the gateway, keyed by stable names, kept across reloads. */
export const LIMITER_SERVICE: ServiceDef = {
  name: 'limiter',
  start: (runtime) => new RateLimiter(runtime.clock),
};
