import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';

const headerName = z.string().regex(/^([!#$%&'+.^_`|~0-9A-Za-z-]+|\*)$/, 'expected an HTTP header name or "*"');

export const corsSchema = z
  .strictObject({
    allowOrigins: z
      .array(
        z
          .string()
          .regex(
            /^(\*|https?:\/\/(\*|(\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?)$/,
            'expected "*", "https://*", or an origin such as https://app.example.com (optionally https://*.example.com)',
          ),
      )
      .default([])
      .describe(
        'Origins allowed: exact origins, "*" (any), "https://*" / "http://*" (any of that scheme) or "https://*.example.com".',
      ),
    allowMethods: z
      .array(z.string().regex(/^([A-Za-z]+|\*)$/, 'expected a method name or "*"'))
      .default([])
      .describe('Access-Control-Allow-Methods on preflight answers ("*" = any).'),
    allowHeaders: z
      .array(headerName)
      .default([])
      .describe('Access-Control-Allow-Headers on preflight answers ("*" = any).'),
    exposeHeaders: z.array(headerName).default([]).describe('Access-Control-Expose-Headers on actual responses.'),
    allowCredentials: z
      .boolean()
      .default(false)
      .describe('Send Access-Control-Allow-Credentials: true. Cannot be used with "*" origins.'),
    maxAge: z
      .number()
      .int()
      .min(0)
      .max(86400)
      .optional()
      .describe('Access-Control-Max-Age of preflight answers, in seconds.'),
  })
  .describe(
    'CORS as AWS HTTP APIs do it: the gateway answers preflight requests itself (no OPTIONS route needed) and its CORS ' +
      "headers replace the backend's on every response.",
  );

export const corsFields = { cors: corsSchema.optional() };

export type CorsConfig = z.infer<typeof corsSchema>;

/** CORS's config field (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const CORS_CONFIG = { api: corsFields } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface ApiFeatureFields extends Fields<typeof corsFields> {}
}
