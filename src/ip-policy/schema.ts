import { z } from 'zod';

const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'expected an IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32');

export const ipPolicySchema = z
  .strictObject({
    allow: z
      .array(cidr)
      .default([])
      .describe('If not empty, only client IPs in these ranges may call (others get 403).'),
    deny: z.array(cidr).default([]).describe('Client IPs in these ranges get 403, even if allowed.'),
  })
  .describe('Resource policy by client IP (IPv4 and IPv6 CIDR). The client IP comes from X-Forwarded-For only through server.trustedProxies.');

export type IpPolicyConfig = z.infer<typeof ipPolicySchema>;
