import { z } from 'zod';
import type { ConfigSchema } from './schema.js';

/** The published JSON Schema text of a root schema (input side: keys with defaults are optional). */
export function renderJsonSchema(schema: ConfigSchema): string {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...json, $id: 'https://portico.dev/schema/portico.schema.json', title: 'Portico config' }, null, 2)}\n`;
}
