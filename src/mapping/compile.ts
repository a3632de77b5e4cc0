/**
 * Parses parameter mappings (both AWS spellings) into operations on the upstream request. Everything is
 * checked at load; a request only evaluates the compiled value getters.
 */
import type { RequestContext } from '../pipeline/context.js';
import { HOP_BY_HOP } from '../forward/hop-by-hop.js';
import { CONTEXT_VARIABLES } from '../template.js';

export type Target = 'header' | 'querystring' | 'path';
/** A value from the request; undefined = the source is absent (the operation is skipped). */
export type Getter = (ctx: RequestContext) => string | undefined;

export interface MappingOp {
  op: 'append' | 'overwrite' | 'remove';
  target: Target;
  /** Header/query/path parameter name; '' = the whole path (HTTP "overwrite:path"). */
  name: string;
  value: Getter;
  /** The value is already URL-encoded (a path parameter), so path and query use it as is. */
  encoded: boolean;
}

const RESERVED = new Set([
  'host',
  'content-length',
  'x-request-id',
  'x-amzn-requestid',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-port',
  'forwarded',
  'traceparent',
  'tracestate',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkHeaderName(name: string): string | undefined {
  if (!TOKEN.test(name)) return `"${name}" is not a valid header name`;
  const lower = name.toLowerCase();
  if (HOP_BY_HOP.has(lower) || RESERVED.has(lower) || lower.startsWith('x-amzn-') || lower.startsWith('x-amz-')) {
    return `header "${name}" is reserved and cannot be mapped`;
  }
  return undefined;
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

function queryAll(ctx: RequestContext, name: string): string[] {
  return ctx.rawQuery ? new URLSearchParams(ctx.rawQuery).getAll(name) : [];
}

/** `$context.x` / `context.x`: the access-log/template variables plus the authorizer's results. */
function contextGetter(name: string): Getter | string {
  if (name === 'authorizer.principalId') return (ctx) => ctx.identity.principalId;
  if (name.startsWith('authorizer.claims.')) {
    const claim = name.slice('authorizer.claims.'.length);
    return (ctx) => {
      const v = ctx.identity.claims?.[claim];
      return v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
    };
  }
  const getter = CONTEXT_VARIABLES[name];
  if (getter) return (ctx) => getter(ctx) || undefined;
  if (name.startsWith('authorizer.')) {
    const key = name.slice('authorizer.'.length);
    return (ctx) => ctx.identity.authorizerContext?.[key];
  }
  return `unknown context variable "${name}"`;
}

/** One source of an HTTP API value ("request.header.x", "context.requestId", "stageVariables.v"). */
function httpSource(ref: string): { get: Getter; encoded: boolean } | string {
  let m: RegExpExecArray | null;
  if ((m = /^request\.header\.(.+)$/.exec(ref))) {
    const n = m[1] as string;
    return { get: (ctx) => header(ctx, n), encoded: false };
  }
  if ((m = /^request\.querystring\.(.+)$/.exec(ref))) {
    const n = m[1] as string;
    return { get: (ctx) => (queryAll(ctx, n).length ? queryAll(ctx, n).join(',') : undefined), encoded: false };
  }
  if ((m = /^request\.path\.(.+)$/.exec(ref))) {
    const n = m[1] as string;
    return { get: (ctx) => ctx.params[n], encoded: true };
  }
  if (ref === 'request.path') return { get: (ctx) => ctx.restPath, encoded: true };
  if (ref.startsWith('request.body')) return '$request.body is not supported (the body is streamed, not parsed)';
  if ((m = /^context\.(.+)$/.exec(ref))) {
    const g = contextGetter(m[1] as string);
    return typeof g === 'string' ? g : { get: g, encoded: false };
  }
  if ((m = /^stageVariables\.([A-Za-z0-9_]+)$/.exec(ref))) {
    const n = m[1] as string;
    return { get: (ctx) => ctx.stageVariables[n], encoded: false };
  }
  return `unknown source "$${ref}"; expected $request.header|querystring|path.NAME, $context.NAME or $stageVariables.NAME`;
}

const HTTP_VAR =
  /\$(?:\{([^}]*)\}|((?:request\.(?:header|querystring|path)\.[A-Za-z0-9_.-]*[A-Za-z0-9_-])|request\.path|request\.body[A-Za-z0-9_.[\]$]*|(?:context|stageVariables)\.[A-Za-z0-9_.]*[A-Za-z0-9_]))/g;

/** An HTTP API mapping value: static text with $request/$context/$stageVariables references. */
export function compileHttpValue(text: string): { get: Getter; encoded: boolean } | string {
  const parts: (string | Getter)[] = [];
  let last = 0;
  let encoded = false;
  for (const m of text.matchAll(HTTP_VAR)) {
    const src = httpSource((m[1] ?? m[2]) as string);
    if (typeof src === 'string') return src;
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(src.get);
    encoded = src.encoded;
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.length === 1 && typeof parts[0] !== 'string') return { get: parts[0] as Getter, encoded };
  if (parts.every((p) => typeof p === 'string')) {
    const fixed = parts.join('');
    return { get: () => fixed, encoded: false };
  }
  // A mix: absent sources count as empty text.
  return {
    get: (ctx) => {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : (p(ctx) ?? '');
      return out;
    },
    encoded: false,
  };
}

/** A REST mapping source: method.request.*, 'static', stageVariables.x, context.x. */
export function compileRestSource(text: string): { get: Getter; encoded: boolean } | string {
  let m: RegExpExecArray | null;
  if ((m = /^'(.*)'$/s.exec(text))) {
    const v = m[1] as string;
    return { get: () => v, encoded: false };
  }
  if ((m = /^method\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.(.+)$/.exec(text))) {
    const [, where, n] = m as unknown as [string, string, string];
    if (where === 'header' || where === 'multivalueheader') return { get: (ctx) => header(ctx, n), encoded: false };
    if (where === 'path') return { get: (ctx) => ctx.params[n], encoded: true };
    return {
      get: (ctx) => {
        const all = queryAll(ctx, n);
        return all.length ? (where === 'querystring' ? all[all.length - 1] : all.join(',')) : undefined;
      },
      encoded: false,
    };
  }
  if ((m = /^stageVariables\.([A-Za-z0-9_]+)$/.exec(text))) {
    const n = m[1] as string;
    return { get: (ctx) => ctx.stageVariables[n], encoded: false };
  }
  if ((m = /^context\.(.+)$/.exec(text))) {
    const g = contextGetter(m[1] as string);
    return typeof g === 'string' ? g : { get: g, encoded: false };
  }
  if (text.startsWith('method.request.body'))
    return 'method.request.body is not supported (the body is streamed, not parsed)';
  return `unknown source "${text}"; expected method.request.header|querystring|path.NAME, 'static', stageVariables.NAME or context.NAME`;
}

/** Parses one requestParameters entry. */
export function compileMapping(key: string, value: string): MappingOp | string {
  let m: RegExpExecArray | null;
  if ((m = /^integration\.request\.(header|querystring|path)\.(.+)$/.exec(key))) {
    const target = m[1] as Target;
    const name = m[2] as string;
    if (target === 'header') {
      const bad = checkHeaderName(name);
      if (bad) return bad;
    }
    const src = compileRestSource(value);
    if (typeof src === 'string') return src;
    return { op: 'overwrite', target, name, value: src.get, encoded: src.encoded };
  }
  if (
    (m = /^(append|overwrite|remove):(header|querystring)\.(.+)$/.exec(key)) ||
    (m = /^(overwrite):(path)()$/.exec(key))
  ) {
    const op = m[1] as MappingOp['op'];
    const target = m[2] as Target;
    const name = m[3] as string;
    if (target === 'header') {
      const bad = checkHeaderName(name);
      if (bad) return bad;
    }
    if (op === 'remove') return { op, target, name, value: () => '', encoded: false };
    const v = compileHttpValue(value);
    if (typeof v === 'string') return v;
    return { op, target, name, value: v.get, encoded: v.encoded };
  }
  if (/^(append|remove):path$/.test(key)) return 'the path can only be overwritten ("overwrite:path")';
  return `unknown mapping "${key}"; expected append|overwrite|remove:header|querystring.NAME, overwrite:path, or integration.request.header|querystring|path.NAME`;
}

/** Names of URI placeholders that REST path mappings provide, e.g. integration.request.path.petId → petId. */
export function mappedPathParams(requestParameters: Readonly<Record<string, string>> | undefined): string[] {
  if (!requestParameters) return [];
  return Object.keys(requestParameters).flatMap((k) => {
    const m = /^integration\.request\.path\.(.+)$/.exec(k);
    return m ? [m[1] as string] : [];
  });
}
