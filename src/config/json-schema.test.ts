import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderJsonSchema } from './json-schema.js';
import { configSchema } from '../features.js';

test('schema/portico.schema.json is generated from the zod schema and up to date (npm run schema)', () => {
  const committed = readFileSync(new URL('../../schema/portico.schema.json', import.meta.url), 'utf8');
  assert.equal(committed, renderJsonSchema(configSchema));
  const schema = JSON.parse(committed) as { required: string[]; properties: Record<string, { description?: string }> };
  assert.deepEqual(schema.required, ['version', 'apis']);
  for (const [key, prop] of Object.entries(schema.properties)) assert.ok(prop.description, `${key} has no description`);
});
