import { z } from 'zod';

/**
 * server.extraListeners[].tls.acme: certificates from an ACME CA (RFC 8555), HTTP-01 served by
 * Portico on its plain HTTP listeners (docs/edge.md "Automatic certificates (ACME)").
 */
const hostName = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/, {
    message: 'expected a DNS name such as api.example.com (HTTP-01 cannot issue wildcards)',
  });

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

export const acmeSchema = z
  .strictObject({
    directory: z
      .url({ protocol: /^https?$/ })
      .default(LETS_ENCRYPT_DIRECTORY)
      .describe("The CA's ACME directory URL (Traefik's caServer); default Let's Encrypt production."),
    email: z.email().describe('Contact address of the ACME account (expiry notices from the CA).'),
    termsOfServiceAgreed: z
      .literal(true, { message: "must be true: you agree to the CA's terms of service" })
      .describe("You agree to the CA's terms of service (required by the CA to create the account)."),
    domains: z
      .array(hostName)
      .min(1)
      .describe('Host names to get certificates for, one certificate each (served by SNI on this listener).'),
    renewBeforeDays: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe('Renew a certificate this many days before it expires.'),
    keyType: z.enum(['ec256', 'rsa2048']).default('ec256').describe('Key type of the issued certificates.'),
    caBundle: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PEM file of CA certificates the directory's HTTPS is checked against, besides the system ones (a private or test CA).",
      ),
  })
  .describe('Automatic certificates over ACME (HTTP-01), kept in the store and renewed before expiry.');

export type AcmeConfig = z.infer<typeof acmeSchema>;
