import type { ConfigFragment } from '../kernel/manifest.js';
import { cidr, type Fields } from '../config/schema.js';
import { z } from 'zod';

export const ipPolicySchema = z
  .strictObject({
    allow: z
      .array(cidr)
      .default([])
      .describe('If not empty, only client IPs in these ranges may call (others get 403).'),
    deny: z.array(cidr).default([]).describe('Client IPs in these ranges get 403, even if allowed.'),
  })
  .describe(
    'Resource policy by client IP (IPv4 and IPv6 CIDR). The client IP comes from X-Forwarded-For only through server.trustedProxies.',
  );

export const ipPolicyApiFields = {
  ipPolicy: ipPolicySchema.optional().describe('IP allow/deny lists for every route of the API (resource policy).'),
};
export const ipPolicyRouteFields = {
  ipPolicy: ipPolicySchema.optional().describe("IP allow/deny lists for this route, checked after the API's."),
};

export type IpPolicyConfig = z.infer<typeof ipPolicySchema>;

/** The IP policy's config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const IP_POLICY_CONFIG = { api: ipPolicyApiFields, route: ipPolicyRouteFields } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface ApiFeatureFields extends Fields<typeof ipPolicyApiFields> {}
  interface RouteFeatureFields extends Fields<typeof ipPolicyRouteFields> {}
}
