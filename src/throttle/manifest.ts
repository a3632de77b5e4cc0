import type { Feature } from '../feature.js';
import { THROTTLE_CONFIG } from './schema.js';
import { throttlePolicyFactory } from './policy.js';
import { LIMITER_SERVICE } from './service.js';

/** Throttling: token buckets per plan/route, stage and gateway (docs/access-control.md). */
export const manifest: Feature = {
  name: 'throttle',
  config: THROTTLE_CONFIG,
  policies: [throttlePolicyFactory],
  services: [LIMITER_SERVICE],
};
