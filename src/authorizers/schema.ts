import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';
import { identitySourceSchema, jwtAuthorizerSchema } from './jwt/schema.js';

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');

const identitySources = z
  .array(identitySourceSchema)
  .describe(
    'Identity sources; a request missing any of them gets 401 without invoking the authorizer. They are the cache key.',
  );

const resultTtlSeconds = z
  .number()
  .int()
  .min(0)
  .max(3600)
  .default(300)
  .describe('How long a result is cached, keyed by the identity sources (0 = off). AWS: default 300, max 3600.');

const timeoutMs = z
  .number()
  .int()
  .min(10)
  .max(30000)
  .default(10000)
  .describe('Time the authorizer has to answer (AWS: 10 s); then 500.');

const forwardContext = z
  .boolean()
  .default(true)
  .describe('Send each `context` value upstream as a header named contextHeaderPrefix + key.');

const contextHeaderPrefix = z
  .string()
  .regex(/^[A-Za-z0-9-]+$/, 'expected letters, digits and "-"')
  .default('x-authorizer-')
  .describe('Prefix of the upstream headers that carry the authorizer context.');

const regex = z.string().check((ctx) => {
  try {
    new RegExp(ctx.value);
  } catch (err) {
    ctx.issues.push({
      code: 'custom',
      message: `invalid regular expression: ${(err as Error).message}`,
      input: ctx.value,
    });
  }
});

export const functionAuthorizerSchema = z
  .strictObject({
    type: z.literal('function'),
    function: z
      .string()
      .regex(/^[^#]+(#[A-Za-z_$][A-Za-z0-9_$]*)?$/, 'expected "path/to/module.js#exportName"')
      .describe(
        'Module and export, "./authorizers/auth.js#handler" (export defaults to "handler"); relative to the config file. Follows the AWS Lambda authorizer contract.',
      ),
    eventType: z
      .enum(['TOKEN', 'REQUEST'])
      .default('TOKEN')
      .describe(
        'TOKEN: the function gets {type, authorizationToken, methodArn}; REQUEST: headers, query, path, stage variables and request context.',
      ),
    identitySource: identitySources
      .optional()
      .describe(
        'Identity sources. TOKEN: exactly one, default ["$request.header.Authorization"]. REQUEST: default none (then the result is not cached).',
      ),
    identityValidationExpression: regex
      .optional()
      .describe('TOKEN only: the token must match this regular expression, else 401 without invoking.'),
    resultTtlSeconds,
    timeoutMs,
    forwardContext,
    contextHeaderPrefix,
  })
  .describe('A function authorizer (AWS Lambda authorizer contract), run in-process.');

export const httpAuthorizerSchema = z
  .strictObject({
    type: z.literal('http'),
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .describe('The authorizer endpoint; a 2xx answer allows the request.'),
    method: z.enum(['GET', 'POST']).default('GET').describe('Method of the call (no body is sent).'),
    identitySource: identitySources.default(['$request.header.Authorization']),
    forwardHeaders: z
      .array(headerName)
      .default([])
      .describe('Client request headers sent to the authorizer, besides the identity source headers.'),
    forwardResponseHeaders: z
      .array(headerName)
      .default([])
      .describe('Authorizer response headers copied to the upstream request.'),
    resultTtlSeconds,
    timeoutMs,
    forwardContext,
    contextHeaderPrefix,
  })
  .describe(
    'An HTTP authorizer: 2xx allows, 401 → 401, 403 → 403, other answers or no answer → 500. A JSON body may carry ' +
      '{principalId, context, usageIdentifierKey}.',
  );

export const AUTHORIZER_TYPES = ['jwt', 'function', 'http'] as const;

export const authorizerSchema = z.discriminatedUnion(
  'type',
  [jwtAuthorizerSchema, functionAuthorizerSchema, httpAuthorizerSchema],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? `expected type to be one of ${AUTHORIZER_TYPES.map((t) => `"${t}"`).join(', ')}`
        : undefined,
  },
);

export const authorizersSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'expected an authorizer name of [A-Za-z0-9_.-]{1,128}'),
    authorizerSchema,
  )
  .default({})
  .describe('Named authorizers of this API; a route uses one with `authorizer: <name>`.');

export const routeAuthorizerFields = {
  authorizer: z.string().optional().describe("Name of one of the API's `authorizers` that must admit the request."),
  authorizationScopes: z
    .array(z.string().min(1))
    .optional()
    .describe('JWT authorizers: the token must carry at least one of these in its "scope" or "scp" claim, else 403.'),
};

export type AuthorizerConfig = z.infer<typeof authorizerSchema>;
export type FunctionAuthorizerConfig = z.infer<typeof functionAuthorizerSchema>;
export type HttpAuthorizerConfig = z.infer<typeof httpAuthorizerSchema>;

/** The authorizers' config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const AUTHORIZERS_CONFIG = {
  api: { authorizers: authorizersSchema },
  route: routeAuthorizerFields,
} satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface ApiFeatureFields extends Fields<{ authorizers: typeof authorizersSchema }> {}
  interface RouteFeatureFields extends Fields<typeof routeAuthorizerFields> {}
}
