import { CACHE_KEY_PARAMETER } from '../cache/schema.js';
import { compileMapping } from '../mapping/compile.js';
import { isObj, type Json } from './json.js';
import { pointer, type ImportReport } from './report.js';

/**
 * Integration `requestParameters` (REST `integration.request.*` ← `method.request.*` / 'static' /
 * context / stageVariables; HTTP API `append|overwrite|remove:header|querystring.X`, `overwrite:path`)
 * → our http_proxy `requestParameters` (same spellings), and `cacheKeyParameters` / `cacheNamespace`
 * → the route's `cache.cacheKeyParameters`. Each entry is checked with the gateway's own parser;
 * what it can't express is reported by pointer and left out.
 */

/**
 * The mappings our parameter mapping can run (undefined when none), and the integration URI: a
 * path parameter mapped from another (`integration.request.path.X ← method.request.path.Y`) renames
 * the URI's placeholder instead.
 */
export function mapRequestParameters(
  params: unknown,
  uri: string,
  iat: string,
  report: ImportReport,
): { uri: string; requestParameters?: Record<string, string> } {
  if (!isObj(params)) return { uri };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const t = /^integration\.request\.path\.(.+)$/.exec(key)?.[1];
    const s = typeof value === 'string' ? /^method\.request\.path\.(.+)$/.exec(value)?.[1] : undefined;
    if (t && s && uri.includes(`{${t}}`)) {
      uri = uri.replaceAll(`{${t}}`, `{${s}}`);
      continue;
    }
    const at = `${iat}${pointer('requestParameters', key)}`;
    // The client's query string is forwarded anyway: a parameter mapped to itself needs no mapping.
    const q = /^integration\.request\.querystring\.(.+)$/.exec(key)?.[1];
    if (q !== undefined && value === `method.request.querystring.${q}`) continue;
    if (typeof value !== 'string') {
      report.unsupported(at, 'requestParameters', `${key}: expected a string source, got ${JSON.stringify(value)}`);
      continue;
    }
    const op = compileMapping(key, value);
    if (typeof op === 'string') {
      report.unsupported(at, 'requestParameters', `${key} ← ${value}: ${op}`);
      continue;
    }
    out[key] = value;
  }
  return Object.keys(out).length ? { uri, requestParameters: out } : { uri };
}

/** Route fields from `cacheKeyParameters` / `cacheNamespace`; `path` is the route's path (its parameters can be keyed). */
export function mapCacheKeys(integ: Json, iat: string, path: string, report: ImportReport): Json {
  const keys: string[] = [];
  const list = Array.isArray(integ.cacheKeyParameters) ? integ.cacheKeyParameters : [];
  list.forEach((k, i) => {
    const m = typeof k === 'string' ? CACHE_KEY_PARAMETER.exec(k) : null;
    if (!m) {
      report.unsupported(
        `${iat}/cacheKeyParameters/${i}`,
        'cacheKeyParameters',
        `${JSON.stringify(k)}: expected method.request.querystring|header|path.NAME`,
      );
      return;
    }
    if (m[1] === 'path' && !path.includes(`{${m[2]}}`) && !path.includes(`{${m[2]}+}`)) {
      report.unsupported(
        `${iat}/cacheKeyParameters/${i}`,
        'cacheKeyParameters',
        `${k}: the route ${path} has no path parameter ${m[2]}`,
      );
      return;
    }
    keys.push(k as string);
  });
  if (typeof integ.cacheNamespace === 'string' && integ.cacheNamespace) {
    report.approximated(
      `${iat}/cacheNamespace`,
      'cacheNamespace',
      'entries are keyed by route (method and path), so methods that share a namespace do not share entries',
    );
  }
  return keys.length ? { cache: { cacheKeyParameters: keys } } : {};
}

/** A route's cache settings → `cacheKeyParameters` (AWS) and `x-portico-cache` (the rest, read back by the importer). */
export function exportCacheKeys(cache: Json | undefined): Json {
  if (!cache) return {};
  const { cacheKeyParameters, ...rest } = cache;
  const out: Json = {};
  if (Array.isArray(cacheKeyParameters) && cacheKeyParameters.length) out.cacheKeyParameters = cacheKeyParameters;
  if (Object.keys(rest).length) out['x-portico-cache'] = rest;
  return out;
}
