// What a WAF rule inspects: a FieldToMatch compiled into a function giving the values to test.
import { collectJson, type WafRequest } from './request.js';
import type { FieldToMatch } from './field-schema.js';

/** A field result that forces the statement to match (oversize MATCH, invalid JSON MATCH). */
export const FORCE = Symbol('force-match');
export type FieldValues = readonly string[] | typeof FORCE;
export type FieldFn = (r: WafRequest) => FieldValues;

const NONE: readonly string[] = [];

function headerValues(r: WafRequest, name: string): string[] {
  const v = r.headers[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [String(v)];
}

/** Compiles a FieldToMatch into a function returning the values to inspect. */
export function compileField(f: FieldToMatch | { bodyParameters: Record<string, never> }): FieldFn {
  if ('bodyParameters' in f) return (r) => r.bodyParameters;
  if (f.uriPath) return (r) => [r.uriPath];
  if (f.queryString) return (r) => [r.queryString];
  if (f.method) return (r) => [r.method];
  if (f.singleHeader) {
    const name = f.singleHeader.name.toLowerCase();
    return (r) => headerValues(r, name);
  }
  if (f.singleQueryArgument) {
    const name = f.singleQueryArgument.name.toLowerCase();
    return (r) => r.queryArgs.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  }
  if (f.allQueryArguments) return (r) => r.queryArgs.map(([, v]) => v);
  if (f.headers) {
    const { matchPattern: p, matchScope } = f.headers;
    const inc = p.includedHeaders ? new Set(p.includedHeaders.map((h) => h.toLowerCase())) : undefined;
    const exc = p.excludedHeaders ? new Set(p.excludedHeaders.map((h) => h.toLowerCase())) : undefined;
    return (r) => {
      const out: string[] = [];
      for (const [k, v] of Object.entries(r.headers)) {
        if ((inc && !inc.has(k)) || exc?.has(k) || v === undefined) continue;
        if (matchScope !== 'VALUE') out.push(k);
        if (matchScope !== 'KEY') for (const x of Array.isArray(v) ? v : [String(v)]) out.push(x);
      }
      return out;
    };
  }
  if (f.cookies) {
    const { matchPattern: p, matchScope } = f.cookies;
    const inc = p.includedCookies ? new Set(p.includedCookies) : undefined;
    const exc = p.excludedCookies ? new Set(p.excludedCookies) : undefined;
    return (r) => {
      const out: string[] = [];
      for (const [k, v] of r.cookies) {
        if ((inc && !inc.has(k)) || exc?.has(k)) continue;
        if (matchScope !== 'VALUE') out.push(k);
        if (matchScope !== 'KEY') out.push(v);
      }
      return out;
    };
  }
  if (f.body) {
    const oversize = f.body.oversizeHandling;
    return (r) => {
      if (!r.body) return NONE;
      if (r.bodyOversize && oversize !== 'CONTINUE') return oversize === 'MATCH' ? FORCE : NONE;
      return [r.bodyText];
    };
  }
  if (f.jsonBody) {
    const { matchPattern, matchScope, invalidFallbackBehavior, oversizeHandling } = f.jsonBody;
    const paths = matchPattern.includedPaths?.map((p) =>
      p
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')),
    );
    return (r) => {
      if (!r.body) return NONE;
      if (r.bodyOversize && oversizeHandling !== 'CONTINUE') return oversizeHandling === 'MATCH' ? FORCE : NONE;
      const j = r.json;
      if (!j.ok) {
        if (invalidFallbackBehavior === 'MATCH') return FORCE;
        if (invalidFallbackBehavior === 'NO_MATCH') return NONE;
        return [r.bodyText];
      }
      const out: string[] = [];
      if (!paths) collectJson(j.value, matchScope, out, 0);
      else
        for (const p of paths) {
          let v: unknown = j.value;
          for (const seg of p)
            v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
          if (v !== undefined) collectJson(v, matchScope, out, 0);
        }
      return out;
    };
  }
  throw new Error('fieldToMatch has no field');
}

/** Wraps a value test with a field and its transformations: true if any value passes. */
