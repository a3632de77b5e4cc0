/**
 * Config keys of the function integration (the AWS_PROXY / Lambda role), spread into src/config/schema.ts:
 * the integration itself and the API-level `binaryMediaTypes`.
 */
import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';

/** "./handlers/pets.js#handler": a module path (relative to the config file) and an export name. */
export const HANDLER_REF = /^([^#]+)#([A-Za-z_$][A-Za-z0-9_$]*)$/;

export const functionIntegration = z
  .strictObject({
    type: z.literal('function'),
    handler: z
      .string()
      .regex(HANDLER_REF, 'expected MODULE#EXPORT, e.g. ./handlers/pets.js#handler')
      .describe(
        'The function: a JavaScript module (path relative to the config file) and the name of its export, ' +
          'e.g. ./handlers/pets.js#handler. Called Lambda-style: handler(event, context[, callback]).',
      ),
    payloadFormatVersion: z
      .enum(['1.0', '2.0'])
      .optional()
      .describe(
        'Event and response format, as AWS: 1.0 (REST AWS_PROXY) or 2.0 (HTTP API). Default: 1.0 for rest APIs, 2.0 for http APIs.',
      ),
    timeoutMs: z
      .number()
      .int()
      .min(50)
      .max(300000)
      .default(29000)
      .describe(
        'Integration timeout: a function still running by then is stopped and the client gets 504 INTEGRATION_TIMEOUT. AWS: 29 s.',
      ),
    memoryMB: z
      .number()
      .int()
      .min(16)
      .max(10240)
      .default(128)
      .describe(
        'Heap limit of the worker thread the function runs in (V8 old generation). Past it the invocation fails with 502 and the worker is replaced.',
      ),
    functionName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a function name of [A-Za-z0-9_-]{1,64}')
      .optional()
      .describe('context.functionName seen by the handler. Default: the module file name without extension.'),
    maxConcurrency: z
      .number()
      .int()
      .min(1)
      .max(256)
      .optional()
      .describe(
        'Worker threads for this function (its reserved concurrency). Default: the number of CPUs, at most 8. More requests queue.',
      ),
  })
  .describe('Run a JavaScript function in an isolated worker thread with the API Gateway proxy event (AWS_PROXY).');

export const functionApiFields = {
  binaryMediaTypes: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z0-9!#$&^_.+*-]+\/[A-Za-z0-9!#$&^_.+*-]+$/, 'expected a media type such as image/png or */*'),
    )
    .default([])
    .describe(
      'Media types treated as binary, as x-amazon-apigateway-binary-media-types: request bodies of these Content-Types reach a function ' +
        'base64-encoded, and a function\'s base64 response body is decoded when the request\'s Accept matches. "*/*" = all.',
    ),
};

export type FunctionIntegrationConfig = z.infer<typeof functionIntegration>;

/** Function integrations' config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const FUNCTION_CONFIG = { api: functionApiFields, integrations: [functionIntegration] } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface ApiFeatureFields extends Fields<typeof functionApiFields> {}
}
declare module '../config/schema.js' {
  interface FeatureIntegrations {
    function: FunctionIntegrationConfig;
  }
}
