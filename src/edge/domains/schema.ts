import { z } from 'zod';
import { certificateSchema } from '../tls/schema.js';

/**
 * Root `domains`: custom domain names as API Gateway models them (docs/edge.md "Custom domains"):
 * a name, optionally its own certificate and an mTLS truststore, and base path mappings to an API
 * stage. Only the shapes: mounting is mount.ts, the TLS side tls.ts.
 */

/** AWS's BasePath: '' or '(none)' for the root, else segments without a leading slash (`v1`, `v1/orders`). */
const basePath = z
  .string()
  .regex(
    /^(\(none\)|\/?|\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)$/,
    'expected a base path such as "" or "(none)" (the root), "v1" or "v1/orders"',
  )
  .default('')
  .describe(
    'The path prefix on this domain: "" or "(none)" = the root, "v1", "v1/orders" (multi-level, as HTTP APIs allow).',
  );

export const basePathMappingSchema = z
  .strictObject({
    basePath,
    api: z.string().min(1).describe('Name of the API (apis[].name).'),
    stage: z.string().min(1).describe('Stage of that API ("$default" for an HTTP API\'s default stage).'),
  })
  .describe(
    'A base path mapping (AWS BasePathMapping / ApiMapping): requests under the base path go to this API stage, the base path stripped.',
  );

export const domainSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/,
        'expected a domain name such as api.example.com or *.example.com',
      )
      .describe('The custom domain name (the Host / SNI name).'),
    certificate: certificateSchema
      .omit({ hosts: true })
      .optional()
      .describe(
        "Its certificate on every TLS listener (server.extraListeners[].tls), chosen by SNI for this name; default: the listener's certificates.",
      ),
    mtls: z
      .strictObject({
        truststore: z
          .string()
          .min(1)
          .describe(
            "PEM bundle of the CA certificates a client certificate's issuer must be in, relative to the config file.",
          ),
      })
      .optional()
      .describe(
        'Mutual TLS on this domain, as API Gateway: a client without a certificate from the truststore gets 403.',
      ),
    basePathMappings: z
      .array(basePathMappingSchema)
      .min(1, 'expected at least one base path mapping')
      .describe('Base path → API stage. The longest matching base path wins; a path no mapping covers is not found.'),
  })
  .describe(
    'A custom domain name with base path mappings (AWS::ApiGateway::DomainName, AWS::ApiGatewayV2::DomainName).',
  );

export type DomainConfig = z.infer<typeof domainSchema>;

/** A base path's segments: '' and '(none)' are the root. */
export function basePathSegments(p: string): string[] {
  const s = p.replace(/^\//, '');
  return s === '' || s === '(none)' ? [] : s.split('/');
}
