import { z } from 'zod';
import { parseListen } from '../../config/listen.js';
import { acmeSchema } from '../acme/schema.js';
import { http2Schema } from '../http2/schema.js';

/**
 * server.extraListeners[]: data listeners beside server.listen, each optionally TLS (docs/edge.md).
 * Only the shapes: loading and checking the PEM files is certs.ts.
 */

const pemFile = z.string().min(1).describe('Path of a PEM file, relative to the config file.');

export const certificateSchema = z
  .strictObject({
    cert: pemFile.describe('The certificate and its chain (leaf first), PEM, relative to the config file.'),
    key: pemFile.describe('The private key of the leaf certificate, PEM.'),
    hosts: z
      .array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'expected a host name or *.wildcard'))
      .optional()
      .describe("Host names (SNI) this certificate serves; default: the certificate's DNS subject alternative names."),
  })
  .describe('One certificate for SNI.');

export const mtlsSchema = z
  .strictObject({
    domain: z.string().min(1).describe('The custom domain name (the SNI host) that requires client certificates.'),
    truststore: pemFile.describe("The PEM bundle of CA certificates a client certificate's issuer must be in."),
  })
  .describe('Mutual TLS on one custom domain, as API Gateway: a truststore per domain name.');

export const TLS_DEFAULT_CIPHERS = [
  // TLS 1.3 suites are always on in OpenSSL; these are the TLS 1.2 ones, forward secret AEAD only
  // (Mozilla "intermediate").
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const tlsSchema = z
  .strictObject({
    certificates: z
      .array(certificateSchema)
      .default([])
      .describe(
        'Certificates chosen per host by SNI (wildcards included); the first is the default. May be empty with acme.',
      ),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2').describe('Oldest TLS version accepted.'),
    ciphers: z.string().min(1).default(TLS_DEFAULT_CIPHERS).describe('OpenSSL cipher list for TLS 1.2.'),
    hsts: z
      .strictObject({
        maxAgeSeconds: z.number().int().min(0).default(31536000),
        includeSubDomains: z.boolean().default(false),
        preload: z.boolean().default(false),
      })
      .optional()
      .describe('Strict-Transport-Security on every response of this listener.'),
    mtls: z.array(mtlsSchema).default([]).describe('Custom domains that require a client certificate.'),
    acme: acmeSchema.optional(),
  })
  .check((ctx) => {
    if (!ctx.value.certificates.length && !ctx.value.acme)
      ctx.issues.push({
        code: 'custom',
        message: 'needs at least one certificate, or acme',
        input: ctx.value.certificates,
        path: ['certificates'],
      });
  })
  .describe('TLS termination on this listener.');

export const extraListenerSchema = z
  .strictObject({
    listen: z
      .string()
      .check((ctx) => {
        try {
          parseListen(ctx.value);
        } catch (e) {
          ctx.issues.push({ code: 'custom', message: (e as Error).message, input: ctx.value });
        }
      })
      .describe('HOST:PORT.'),
    tls: tlsSchema.optional(),
    http2: http2Schema.optional(),
    redirectToHttps: z
      .union([z.literal(301), z.literal(308)])
      .optional()
      .describe('Plain-HTTP listener only: answer every request with this redirect to https://host/path?query.'),
    httpsPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('The port written in the redirect Location (default: 443, left out).'),
  })
  .describe('A data listener beside server.listen.');

export type TlsConfig = z.infer<typeof tlsSchema>;
export type ExtraListenerConfig = z.infer<typeof extraListenerSchema>;
