import type { RequestContext } from '../pipeline/context.js';
import { CACHE_KEY_PARAMETER } from './schema.js';

/**
 * Request headers some backends and frameworks obey to rewrite the URL, method, scheme or host
 * (X-Original-URL in IIS/Symfony, method overrides, X-Forwarded-Prefix in Spring...). They are not
 * in the cache key, so a request carrying one bypasses the cache (neither served from it nor stored),
 * unless the header is a listed cache key parameter.
 */
export const OVERRIDE_HEADERS = [
  'x-original-url',
  'x-rewrite-url',
  'x-override-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-forwarded-scheme',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded-path',
  'x-forwarded-uri',
  'x-host',
] as const;

/** The parts of a request that make up its cache key, compiled from a route's settings. */
export interface KeySpec {
  /** Route key with HEAD as GET, so a HEAD route reads its GET sibling's entries. */
  route: string;
  /** Listed query parameter names, lower-case. */
  query: ReadonlySet<string>;
  /** Listed header names, lower-case. */
  headers: readonly string[];
  /** Namespace by API key id. */
  perKey: boolean;
  /** Override headers that are not listed (see OVERRIDE_HEADERS). */
  overrides: readonly string[];
}

export function compileKeySpec(route: string, parameters: readonly string[], perKey: boolean): KeySpec {
  const query = new Set<string>();
  const headers: string[] = [];
  for (const p of parameters) {
    const m = CACHE_KEY_PARAMETER.exec(p);
    if (!m) continue;
    const name = (m[2] as string).toLowerCase();
    if (m[1] === 'querystring') query.add(name);
    else if (m[1] === 'header' && !headers.includes(name)) headers.push(name);
    // method.request.path.*: the path is always in the key.
  }
  return {
    route: route.startsWith('HEAD ') ? `GET ${route.slice(5)}` : route,
    query,
    headers,
    perKey,
    overrides: OVERRIDE_HEADERS.filter((h) => !headers.includes(h)),
  };
}

/** True if the request carries a URL/method-override header that is not keyed. */
export function hasOverrideHeader(spec: KeySpec, headers: Record<string, unknown>): boolean {
  for (const h of spec.overrides) if (headers[h] !== undefined) return true;
  return false;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** All values of a header in arrival order (rawHeaders: duplicates that Node folds or drops are kept). */
export function rawHeaderValues(raw: readonly string[], name: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).length === name.length && (raw[i] as string).toLowerCase() === name) {
      out += n++ === 0 ? (raw[i + 1] as string) : `\u0000${raw[i + 1] as string}`;
    }
  }
  return n === 0 ? '\u0001' : out;
}

/**
 * The cache key: "GET /stage-relative/raw/path" first (so a key-prefix flush reads naturally), then
 * the route, the Host (and, from trusted proxies, the forwarding headers the backend will see), the
 * listed query parameters and headers, and the API key id when namespaced.
 *
 * Everything is compared as received, undecoded: two spellings of a path or value never share an
 * entry, so nothing one client sends can be served to a client that sent something else. Listed
 * query parameters are recognised by decoded, case-folded name, splitting on "&" and ";", and every
 * occurrence is keyed in order; unlisted ones are ignored, as on AWS.
 */
export function cacheKey(spec: KeySpec, ctx: RequestContext, method: string): string {
  const req = ctx.req;
  let key = `${method} ${ctx.restPath}\n${spec.route}\nh:${(req.headers.host ?? '').toLowerCase()}`;
  if (ctx.snapshot.trustedProxies.isTrusted(ctx.peerIp)) {
    const h = req.headers;
    key += `\nf:${String(h['x-forwarded-host'] ?? '')}|${String(h['x-forwarded-proto'] ?? '')}|${String(h['x-forwarded-port'] ?? '')}|${String(h.forwarded ?? '')}`;
  }
  if (spec.query.size > 0 && ctx.rawQuery) {
    const parts: [string, string][] = [];
    for (const piece of ctx.rawQuery.split(/[&;]/)) {
      if (!piece) continue;
      const eq = piece.indexOf('=');
      const name = decodeName(eq === -1 ? piece : piece.slice(0, eq));
      if (spec.query.has(name)) parts.push([name, piece]);
    }
    // Stable by name: order between different names does not matter to a backend, order among repeats may.
    parts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [, piece] of parts) key += `\nq:${piece}`;
  }
  for (const name of spec.headers) key += `\nr:${name}=${rawHeaderValues(req.rawHeaders, name)}`;
  if (spec.perKey) key += `\nk:${ctx.identity.apiKeyId ?? ''}`;
  return key;
}

/** The key of one Vary variant: the base key plus the values of the headers the backend varies on. */
export function variantKey(base: string, vary: readonly string[], rawHeaders: readonly string[]): string {
  let key = base;
  for (const name of vary) key += `\nv:${name}=${rawHeaderValues(rawHeaders, name)}`;
  return key;
}
