import type { RequestContext } from '../pipeline/context.js';

/** `$request.header.Name` or `$request.querystring.name`: where an authorizer finds the caller's identity. */
export const IDENTITY_SOURCE_PATTERN = /^\$request\.(header|querystring)\.([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;

export interface IdentitySource {
  readonly kind: 'header' | 'querystring';
  /** Lower-case for headers, as sent for query parameters. */
  readonly name: string;
  readonly text: string;
}

export function parseIdentitySource(text: string): IdentitySource {
  const m = IDENTITY_SOURCE_PATTERN.exec(text);
  if (!m) throw new Error(`invalid identity source "${text}"`);
  const kind = m[1] as 'header' | 'querystring';
  return { kind, name: kind === 'header' ? (m[2] as string).toLowerCase() : (m[2] as string), text };
}

/** The source's value in this request, or undefined if absent or empty (AWS: missing → 401 without invoking). */
export function readIdentitySource(ctx: RequestContext, src: IdentitySource): string | undefined {
  let v: string | undefined;
  if (src.kind === 'header') {
    const h = ctx.req.headers[src.name];
    v = Array.isArray(h) ? h.join(', ') : h;
  } else {
    v = new URLSearchParams(ctx.rawQuery).get(src.name) ?? undefined;
  }
  return v === undefined || v.trim() === '' ? undefined : v;
}
