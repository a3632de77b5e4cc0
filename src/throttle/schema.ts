import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';

/** A token bucket, AWS's {rateLimit, burstLimit}. */
export const throttleLimitSchema = z
  .strictObject({
    rate: z
      .number()
      .positive('expected a rate above 0')
      .max(1e7)
      .describe('Steady requests per second (tokens added per second). AWS: rateLimit.'),
    burst: z
      .number()
      .int()
      .min(1, 'expected a burst of at least 1')
      .max(1e7)
      .describe('Bucket size: requests admitted at once after a quiet spell. AWS: burstLimit.'),
  })
  .describe('A token bucket: rate per second, burst capacity.');

/** "/pets/{id}/GET": a route's resource path then its method, as AWS method settings and usage plans key them. */
export const ROUTE_OVERRIDE_KEY = /^(\/.*)\/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY)$/;

export const routeThrottleSchema = z
  .record(
    z
      .string()
      .regex(
        ROUTE_OVERRIDE_KEY,
        'expected "/path/METHOD" such as "/pets/{id}/GET" (the route\'s path, then its method or ANY)',
      ),
    throttleLimitSchema,
  )
  .describe(
    'Per-route limits keyed "/path/METHOD" (the route key\'s path and method, e.g. "/pets/{id}/GET"; "//GET" for GET /).',
  );

/** Spread into the stage schema. */
export const throttleStageFields = {
  throttle: throttleLimitSchema
    .optional()
    .describe('One bucket for the whole stage (all routes and callers together). Unset = no stage limit.'),
  routeThrottle: routeThrottleSchema
    .default({})
    .describe(
      'Per-route buckets in this stage, keyed "/path/METHOD" like AWS method settings (e.g. "/pets/{id}/GET"). ' +
        'Checked before the stage bucket.',
    ),
};

/** server.throttle: one bucket for every request the gateway routes (AWS account level). */
export const globalThrottleField = throttleLimitSchema
  .optional()
  .describe(
    'One bucket for every routed request of the gateway, checked last (AWS: the account limit, 10,000 rps / 5,000 burst). Unset = none.',
  );

/** The "/path/METHOD" key of a route, or undefined for $default. */
export function routeOverrideKey(key: { isDefault: boolean; method: string; path: string }): string | undefined {
  return key.isDefault ? undefined : `${key.path}/${key.method}`;
}

/** Throttling's config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const THROTTLE_CONFIG = {
  server: { throttle: globalThrottleField },
  stage: throttleStageFields,
} satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface ServerFeatureFields extends Fields<{ throttle: typeof globalThrottleField }> {}
  interface StageFeatureFields extends Fields<typeof throttleStageFields> {}
}
