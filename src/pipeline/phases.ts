/**
 * The fixed phases a request runs through after routing, in order (DESIGN §2, docs/pipeline.md).
 * A policy belongs to exactly one phase. Its handler returns a Reply to end the request with a
 * gateway response, or nothing to go on; it never calls next().
 */
export const PHASES = [
  'resourcePolicy', // IP allow/deny
  'authorizer', // JWT/OIDC, function and HTTP authorizers
  'apiKey', // x-api-key + usage plan membership
  'throttle', // plan/route → stage → global token buckets
  'quota', // usage plan quotas
  'validation', // request parameters and body
  'cache', // response cache lookup
  'transform', // parameter mapping for the upstream request
] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_ORDER: Readonly<Record<Phase, number>> = Object.fromEntries(PHASES.map((p, i) => [p, i])) as Record<Phase, number>;
