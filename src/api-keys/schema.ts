import { z } from 'zod';

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
  apiKeyHeader: headerName.default('x-api-key').describe('Request header carrying the API key when apiKeySource is HEADER.'),
};

/** Spread into the route schema. */
export const apiKeyRouteFields = {
  apiKeyRequired: z
    .boolean()
    .default(false)
    .describe('Require a valid API key in a usage plan of this stage; otherwise 403 {"message":"Forbidden"}.'),
};
