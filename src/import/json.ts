/** The importers' shared leaf: a parsed JSON/YAML object and its guard (no importer imports another just for these). */
export type Json = Record<string, unknown>;

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
