import { z } from 'zod';
import { configSchema } from './schema.js';

/** The published JSON Schema text (input side: keys with defaults are optional). */
export function renderJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, $id: 'https://portico.dev/schema/portico.schema.json', title: 'Portico config' }, null, 2)}\n`;
}
