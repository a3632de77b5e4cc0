import { z } from 'zod';
import type { ConfigSchema } from './schema.js';

type Json = Record<string, unknown>;

/**
 * A whole `${NAME}` or `${NAME:-default}` reference (config/env.ts): unquoted in YAML it takes the
 * type of its value, so where a number or a boolean is expected the file may hold this string.
 */
export const ENV_REFERENCE = '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$';

/**
 * The published JSON Schema text of a root schema (input side: keys with defaults are optional). It
 * describes the file as written, before the loader's two steps the zod schema never sees: `${ENV}`
 * references where numbers and booleans are expected, and `apis[]` entries of the `openapi` form
 * (config/openapi-apis.ts), which are imported before validation.
 */
export function renderJsonSchema(schema: ConfigSchema): string {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Json;
  allowEnvReferences(json);
  addOpenApiEntries(json);
  return `${JSON.stringify({ ...json, $id: 'https://portico.dev/schema/portico.schema.json', title: 'Portico config' }, null, 2)}\n`;
}

const SCALARS = new Set(['number', 'integer', 'boolean']);

/** Every number, integer or boolean node also accepts a whole ${ENV} reference. */
function allowEnvReferences(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(allowEnvReferences);
  if (!node || typeof node !== 'object') return;
  const n = node as Json;
  for (const v of Object.values(n)) allowEnvReferences(v);
  if (typeof n.type !== 'string' || !SCALARS.has(n.type)) return;
  const { description, default: dflt, ...typed } = n;
  for (const k of Object.keys(n)) delete n[k];
  if (description !== undefined) n.description = description;
  if (dflt !== undefined) n.default = dflt;
  n.anyOf = [typed, { type: 'string', pattern: ENV_REFERENCE, description: 'An ${ENV} reference.' }];
}

const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } };

/** `apis[]`: an API, or `{openapi: FILE, ...}` whose other keys override the imported API's. */
function addOpenApiEntries(root: Json): void {
  const apis = (root.properties as Json).apis as Json;
  const api = apis.items as Json;
  const overrides = Object.fromEntries(
    Object.entries(api.properties as Json).map(([k, v]) => [k, { ...(v as Json), default: undefined }]),
  );
  const openapi = {
    type: 'object',
    description:
      'An API imported from an OpenAPI/Swagger document at every load; other keys override the imported ones.',
    required: ['openapi'],
    additionalProperties: false,
    properties: {
      ...JSON.parse(JSON.stringify(overrides)),
      openapi: {
        type: 'string',
        minLength: 1,
        description: 'Path of the OpenAPI/Swagger file, relative to the config.',
      },
      strict: { type: 'boolean', description: 'Refuse the document if anything in it cannot be mapped.' },
      stage: { type: 'string', description: 'Stage to create (as --stage; default prod for rest, $default for http).' },
      params: { ...STRING_MAP, description: '${NAME} placeholders of the document (as --param NAME=VALUE).' },
      vpcLinks: {
        ...STRING_MAP,
        description:
          'Where each VPC link (its id or logical id) leads, e.g. abc123: http://10.0.0.5:80 (as --vpc-link).',
      },
      functions: {
        ...STRING_MAP,
        description: 'Local handlers, MODULE#EXPORT, standing in for Lambda functions (as --function).',
      },
      authorizerFunctions: {
        ...STRING_MAP,
        description: 'Local functions, FILE#EXPORT, standing in for Lambda authorizers (as --authorizer-function).',
      },
      jwks: {
        ...STRING_MAP,
        description: "Key sets of Cognito or JWT authorizers instead of the issuer's (as --jwks).",
      },
    },
  };
  apis.items = { anyOf: [api, openapi] };
}
