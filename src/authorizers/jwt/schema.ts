import { z } from 'zod';
import { IDENTITY_SOURCE_PATTERN } from '../identity-source.js';

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');

export const identitySourceSchema = z
  .string()
  .regex(IDENTITY_SOURCE_PATTERN, 'expected "$request.header.<Name>" or "$request.querystring.<name>"');

export const JWT_ASYMMETRIC_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export const JWT_HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;

export const jwtAuthorizerSchema = z
  .strictObject({
    type: z.literal('jwt'),
    issuer: z
      .string()
      .min(1)
      .describe('Expected "iss" claim, exactly. With discovery, also the base of /.well-known/openid-configuration.'),
    audiences: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Accepted "aud" values; when the token has no "aud", its "client_id" must be one of them (as AWS does). Required unless verifyAudience is false.',
      ),
    verifyAudience: z
      .boolean()
      .default(true)
      .describe(
        'Check "aud"/"client_id" against audiences. false: any audience of the issuer is accepted, as AWS REST API ' +
          'COGNITO_USER_POOLS authorizers do (they trust every app client of the user pool).',
      ),
    jwksUri: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .optional()
      .describe("URL of the issuer's JSON Web Key Set. Exactly one of jwksUri, discovery or secret."),
    discovery: z
      .boolean()
      .optional()
      .describe(
        'Find jwks_uri from {issuer}/.well-known/openid-configuration (OIDC discovery). Exactly one of jwksUri, discovery or secret.',
      ),
    secret: z
      .string()
      .min(32, 'expected an HMAC secret of at least 32 characters')
      .optional()
      .describe('Shared secret for HS256/384/512 tokens. Only with a secret are HS algorithms accepted. Never logged.'),
    algorithms: z
      .array(z.enum([...JWT_ASYMMETRIC_ALGS, ...JWT_HMAC_ALGS]))
      .min(1)
      .optional()
      .describe(
        'Accepted "alg" values. Default: every RS/PS/ES/EdDSA algorithm with a JWKS, HS256/384/512 with a secret. Mixing HS with a JWKS is refused ("alg: none" never passes).',
      ),
    identitySource: identitySourceSchema
      .default('$request.header.Authorization')
      .describe('Where the token is: a header (the value may start with "Bearer ") or a query parameter.'),
    clockSkewSeconds: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(0)
      .describe('Leeway for "exp" and "nbf" checks, in seconds.'),
    jwksCacheSeconds: z
      .number()
      .int()
      .min(0)
      .max(86400)
      .default(600)
      .describe('How long fetched keys are used before they are fetched again.'),
    jwksRefetchCooldownSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(30)
      .describe('A token with an unknown "kid" refetches the key set at most once per this many seconds.'),
    forwardClaims: z
      .record(z.string().min(1), headerName)
      .default({})
      .describe('Claim name → upstream request header. Non-string claims are sent as JSON; CR/LF are stripped.'),
  })
  .describe('A JWT/OIDC authorizer (AWS HTTP API JWT authorizer).');

export type JwtAuthorizerConfig = z.infer<typeof jwtAuthorizerSchema>;
