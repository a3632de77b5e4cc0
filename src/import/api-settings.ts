import type { z } from 'zod';
import { functionApiFields } from '../functions/schema.js';
import { corsSchema } from '../cors/schema.js';
import { isObj, type Json } from './json.js';
import { ImportReport, pointer } from './report.js';

/**
 * API-wide settings of both importers: CORS (`x-amazon-apigateway-cors`, CloudFormation `CorsConfiguration`)
 * and binary media types (`x-amazon-apigateway-binary-media-types`, `BinaryMediaTypes`). Entries our schema
 * would refuse are left out one by one, each reported.
 */

const CORS_KEYS = [
  'allowOrigins',
  'allowMethods',
  'allowHeaders',
  'exposeHeaders',
  'allowCredentials',
  'maxAge',
] as const;

/** Drops the entries a schema refuses (by the index in each issue path), reporting each; undefined if nothing is left. */
function keepValid<T extends Json | unknown[]>(
  value: T,
  schema: z.ZodType,
  at: string,
  feature: string,
  report: ImportReport,
): T {
  const r = schema.safeParse(value);
  if (r.success) return value;
  const drop = new Set<string>();
  for (const issue of r.error.issues) {
    const path = issue.path.map(String);
    const key = path.slice(0, Array.isArray(value) ? 1 : 2).join('/');
    if (drop.has(key)) continue;
    drop.add(key);
    report.approximated(`${at}/${key}`, feature, `${issue.message}; left out`);
  }
  if (Array.isArray(value)) return value.filter((_, i) => !drop.has(String(i))) as T;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (drop.has(k)) continue;
    out[k] = Array.isArray(v) ? v.filter((_, i) => !drop.has(`${k}/${i}`)) : v;
  }
  return out as T;
}

/** `x-amazon-apigateway-cors` (camelCase) or `CorsConfiguration` (PascalCase) → our `cors`. `at` points at it. */
export function mapCors(src: Json, at: string, report: ImportReport): Json {
  const out: Json = {};
  const keyAt: Record<string, string> = {};
  for (const key of CORS_KEYS) {
    const pascal = key[0]!.toUpperCase() + key.slice(1);
    const name = key in src ? key : pascal in src ? pascal : undefined;
    if (name === undefined) continue;
    keyAt[key] = name;
    const v = src[name];
    out[key] = Array.isArray(v)
      ? v.map(String)
      : key === 'maxAge'
        ? Number(v)
        : key === 'allowCredentials'
          ? v === true || v === 'true'
          : v;
  }
  if (typeof out.maxAge === 'number' && out.maxAge < 0) {
    // -1 disables caching of preflight answers: send no Max-Age.
    delete out.maxAge;
  }
  const origins = Array.isArray(out.allowOrigins) ? (out.allowOrigins as string[]) : [];
  if (out.allowCredentials === true && origins.includes('*')) {
    report.approximated(
      `${at}/${keyAt.allowCredentials}`,
      'CORS',
      'allowCredentials cannot be used with "*" origins (AWS refuses it too); left out',
    );
    delete out.allowCredentials;
  }
  // Issue paths name our keys; point the notes at the source's spelling.
  const before = report.notes.length;
  const cors = keepValid(out, corsSchema, at, 'CORS', report);
  for (const n of report.notes.slice(before)) {
    const [key, ...rest] = n.pointer.slice(at.length + 1).split('/');
    n.pointer = [at, keyAt[key as string] ?? key, ...rest].join('/');
  }
  return cors;
}

/** Binary media types, with CloudFormation's `~1` for `/` undone. */
export function mapBinaryMediaTypes(src: unknown, at: string, report: ImportReport): string[] {
  const list = (Array.isArray(src) ? src : [src]).map((t) => String(t).replaceAll('~1', '/'));
  return keepValid(list, functionApiFields.binaryMediaTypes, at, 'binary media type', report);
}

/** The root extensions of an OpenAPI document for `cors` and `binaryMediaTypes`. */
export function openApiSettings(doc: Json, report: ImportReport): Json {
  const out: Json = {};
  if (isObj(doc['x-amazon-apigateway-cors']))
    out.cors = mapCors(doc['x-amazon-apigateway-cors'], pointer('x-amazon-apigateway-cors'), report);
  const binary = doc['x-amazon-apigateway-binary-media-types'];
  if (binary !== undefined) {
    const types = mapBinaryMediaTypes(binary, pointer('x-amazon-apigateway-binary-media-types'), report);
    if (types.length) out.binaryMediaTypes = types;
  }
  return out;
}

/** Our `cors` and `binaryMediaTypes` → the root extensions (for `portico export openapi`). */
export function exportSettings(api: Json, doc: Json): void {
  if (isObj(api.cors)) {
    const cors: Json = {};
    for (const key of CORS_KEYS) {
      const v = api.cors[key];
      if (v !== undefined && !(Array.isArray(v) && v.length === 0) && !(key === 'allowCredentials' && v === false))
        cors[key] = v;
    }
    doc['x-amazon-apigateway-cors'] = cors;
  }
  if (Array.isArray(api.binaryMediaTypes) && api.binaryMediaTypes.length)
    doc['x-amazon-apigateway-binary-media-types'] = api.binaryMediaTypes;
}
