/**
 * `integration.requestParameters` of http_proxy integrations: API Gateway parameter mapping, in either of
 * AWS's two spellings (spread into the http_proxy schema of src/config/schema.ts).
 */
import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';

export const mappingIntegrationFields = {
  requestParameters: z
    .record(z.string().min(1), z.string())
    .optional()
    .describe(
      'Parameter mapping for the upstream request, as API Gateway. HTTP API style: "append:header.X" / "overwrite:header.X" / ' +
        '"remove:header.X", the same for querystring, and "overwrite:path", with values such as "$request.header.Y", ' +
        '"$request.querystring.Y", "$request.path.Y", "$context.requestId", "$stageVariables.z" or static text (mixed with ${...}). ' +
        'REST style: "integration.request.header|querystring|path.X" ← "method.request.header|querystring|path.Y", "\'static\'", ' +
        '"stageVariables.z" or "context.requestId". See docs/aws-compatibility.md#parameter-mapping.',
    ),
};

/** Parameter mapping's config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const MAPPING_CONFIG = { httpProxy: mappingIntegrationFields } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface HttpProxyFeatureFields extends Fields<typeof mappingIntegrationFields> {}
}
