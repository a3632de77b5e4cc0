/**
 * Writes schema/portico.schema.json, the JSON Schema editors use for portico.yaml, from the same
 * zod schema the loader validates with. `npm run schema` regenerates it; a test fails when stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderJsonSchema } from '../src/config/json-schema.js';
import { configSchema } from '../src/features.js';

const out = fileURLToPath(new URL('../schema/portico.schema.json', import.meta.url));
writeFileSync(out, renderJsonSchema(configSchema));
console.log(`wrote ${out}`);
