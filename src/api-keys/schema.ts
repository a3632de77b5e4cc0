import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';
import { usagePlansSchema } from './usage-plans/schema.js';
import { checkDeclaredKeys, declaredKeysSchema } from './declared-keys.js';

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');

/** Spread into the API schema. */
export const apiKeyApiFields = {
  apiKeySource: z
    .enum(['HEADER', 'AUTHORIZER'])
    .default('HEADER')
    .describe(
      'Where the API key of a request comes from: HEADER = the apiKeyHeader request header; ' +
        'AUTHORIZER = the usageIdentifierKey an authorizer returned (AWS apiKeySource).',
    ),
  apiKeyHeader: headerName
    .default('x-api-key')
    .describe('Request header carrying the API key when apiKeySource is HEADER.'),
};

/** Spread into the route schema. */
export const apiKeyRouteFields = {
  apiKeyRequired: z
    .boolean()
    .default(false)
    .describe('Require a valid API key in a usage plan of this stage; otherwise 403 {"message":"Forbidden"}.'),
};

/** API keys' and usage plans' config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const API_KEYS_CONFIG = {
  api: apiKeyApiFields,
  route: apiKeyRouteFields,
  root: { usagePlans: usagePlansSchema, apiKeys: declaredKeysSchema },
  refine: checkDeclaredKeys as ConfigFragment['refine'],
} satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface ApiFeatureFields extends Fields<typeof apiKeyApiFields> {}
  interface RouteFeatureFields extends Fields<typeof apiKeyRouteFields> {}
  interface RootFeatureFields extends Fields<{
    usagePlans: typeof usagePlansSchema;
    apiKeys: typeof declaredKeysSchema;
  }> {}
}
