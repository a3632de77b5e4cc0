import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { RequestContext } from '../pipeline/context.js';
import { childTraceparent, forwardedTracestate } from '../observability/trace-context.js';
import { HOP_BY_HOP, nominatedHeaders } from './hop-by-hop.js';

/** Headers the gateway sets itself towards the upstream; client copies are dropped or, from a trusted proxy, extended. */
const GATEWAY_SET = new Set([
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-host',
  'forwarded',
  'x-request-id',
  'x-amzn-requestid',
  // W3C trace context: the upstream gets a child of the client's traceparent (observability/trace-context.ts).
  'traceparent',
  'tracestate',
  // AWS drops these towards HTTP_PROXY integrations (reference §1.4); Expect is answered by us.
  'expect',
  'max-forwards',
]);

// CR, LF, NUL, other controls (but tab) and characters beyond Latin-1 are dropped: undici refuses a
// request with any of them in a header. test/reliability/headers.property.test.ts
const UNSAFE_VALUE = /[^\t\x20-\x7e\x80-\xff]/gu;

/** RFC 7239 §6: an IPv6 node is quoted and bracketed. `ip` is a socket address, so a colon means IPv6. */
function forwardedFor(ip: string): string {
  return ip.includes(':') ? `"[${ip}]"` : ip;
}

/**
 * Headers that ask a backend to run another method or path than the request line's (Symfony, Laravel,
 * Express method-override, IIS URL Rewrite): the gateway routed and authorised the request line, so
 * they are dropped unless the API sets forwardOverrideHeaders (docs/security.md#headers).
 */
export const OVERRIDE_HEADERS: ReadonlySet<string> = new Set([
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-url',
  'x-rewrite-url',
]);

/**
 * What a REST API's HTTP_PROXY integration drops besides the above, as recorded against AWS
 * (test/fixtures/aws-recorded/, LocalStack `TestApiGatewayHeaderRemapping`): the client's Content-MD5,
 * Server, WWW-Authenticate and Via never reach the backend, and X-Amzn-Apigateway-Api-Id is AWS's own.
 * Content-Encoding was dropped from a request without a body (the only case recorded): see REST_NO_BODY.
 */
const REST_DROPPED = ['content-md5', 'server', 'www-authenticate', 'via', 'x-amzn-apigateway-api-id'];
/** Client request headers that never cross: hop-by-hop ones and those the gateway sets itself. One lookup per header. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, ...GATEWAY_SET, ...OVERRIDE_HEADERS]);
/** The same, for an API that keeps the override headers. */
const NOT_FORWARDED_KEEP_OVERRIDES = new Set([...HOP_BY_HOP, ...GATEWAY_SET]);
const REST_NOT_FORWARDED = new Set([...NOT_FORWARDED, ...REST_DROPPED]);
const REST_NOT_FORWARDED_KEEP_OVERRIDES = new Set([...NOT_FORWARDED_KEEP_OVERRIDES, ...REST_DROPPED]);
/** REST, request without a body: Content-Encoding is dropped too (recorded for a GET with `Content-Encoding: deflate`). */
const REST_NO_BODY = new Set([...REST_NOT_FORWARDED, 'content-encoding']);
const REST_NO_BODY_KEEP_OVERRIDES = new Set([...REST_NOT_FORWARDED_KEEP_OVERRIDES, 'content-encoding']);

/** The set of client headers not forwarded for this request. */
function droppedFor(ctx: RequestContext): ReadonlySet<string> {
  const api = ctx.api;
  const keep = api?.forwardOverrideHeaders === true;
  if (api?.type !== 'rest') return keep ? NOT_FORWARDED_KEEP_OVERRIDES : NOT_FORWARDED;
  const h = ctx.req.headers;
  const bodyless = h['content-length'] === undefined && h['transfer-encoding'] === undefined;
  if (bodyless || h['content-length'] === '0') return keep ? REST_NO_BODY_KEEP_OVERRIDES : REST_NO_BODY;
  return keep ? REST_NOT_FORWARDED_KEEP_OVERRIDES : REST_NOT_FORWARDED;
}
/** Lower-case forms of header names as clients spell them, so the common spellings are not lower-cased per request. */
const LOWER = new Map<string, string>();
function lowerName(name: string): string {
  let lower = LOWER.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    // Bounded: arbitrary client spellings must not grow the map without limit.
    if (LOWER.size < 512) LOWER.set(name, lower);
  }
  return lower;
}

/**
 * The request headers sent upstream, as a flat [name, value, ...] list. Hop-by-hop and
 * Connection-nominated headers are dropped; X-Forwarded-* and Forwarded are set by the gateway.
 * Client-sent forwarding headers are kept (and appended to) only when the peer is a trusted proxy,
 * so an upstream can believe every hop in them.
 */
export function buildUpstreamHeaders(ctx: RequestContext): string[] {
  const req = ctx.req;
  const raw = req.rawHeaders;
  const nominated = nominatedHeaders(req.headers.connection);
  const dropped = droppedFor(ctx);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = lowerName(name);
    if (dropped.has(lower) || nominated?.has(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  const trusted = ctx.snapshot.trustedProxies.isTrusted(ctx.peerIp);
  const h = req.headers;
  const scheme = 'http';
  const proto = (trusted && first(h['x-forwarded-proto'])) || scheme;
  const port = (trusted && first(h['x-forwarded-port'])) || portText(ctx.localPort);
  const xffIn = trusted ? h['x-forwarded-for'] : undefined;
  const fwdIn = trusted ? h.forwarded : undefined;
  const hostIn = h.host ?? '';
  const hop = `for=${forwardedFor(ctx.peerIp)};proto=${scheme}${hostIn ? `;host="${quotable(hostIn)}"` : ''}`;
  out.push(
    'x-forwarded-for',
    xffIn ? `${xffIn}, ${ctx.peerIp}` : ctx.peerIp,
    'x-forwarded-proto',
    proto,
    'x-forwarded-port',
    port,
    'forwarded',
    fwdIn ? `${fwdIn}, ${hop}` : hop,
    'x-request-id',
    ctx.requestId,
    'x-amzn-requestid',
    ctx.requestId,
  );
  // AWS REST APIs name themselves to the backend (recorded; test/fixtures/aws-recorded/).
  if (ctx.api?.type === 'rest') out.push('X-Amzn-Apigateway-Api-Id', ctx.api.apiId);
  const xfh = (trusted && first(h['x-forwarded-host'])) || hostIn;
  if (xfh) out.push('x-forwarded-host', xfh);
  out.push('traceparent', childTraceparent(ctx));
  const tracestate = forwardedTracestate(ctx);
  if (tracestate) out.push('tracestate', tracestate);
  const extra = ctx.upstreamHeaders;
  if (extra) {
    for (const [name, value] of extra) {
      // Values built from claims or authorizer context must not smuggle header lines.
      out.push(name, value.replace(UNSAFE_VALUE, ''));
    }
  }
  if (ctx.upstreamHeaderEdits) return editHeaders(out, ctx.upstreamHeaderEdits);
  return out;
}

/** Parameter mapping's header edits (policies/mapping): append a line, overwrite all lines, or remove them. */
function editHeaders(list: string[], edits: readonly ['append' | 'overwrite' | 'remove', string, string][]): string[] {
  let out = list;
  for (const [op, name, value] of edits) {
    const lower = name.toLowerCase();
    if (op !== 'append') {
      const kept: string[] = [];
      for (let i = 0; i < out.length; i += 2)
        if ((out[i] as string).toLowerCase() !== lower) kept.push(out[i] as string, out[i + 1] as string);
      out = kept;
    }
    if (op !== 'remove') out.push(name, value.replace(UNSAFE_VALUE, ''));
  }
  return out;
}

/** Listener ports as text for X-Forwarded-Port, made once per port (there are one or two). */
const PORT_TEXT = new Map<number, string>();
function portText(port: number): string {
  let t = PORT_TEXT.get(port);
  if (t === undefined) PORT_TEXT.set(port, (t = String(port)));
  return t;
}

/** A quoted-string's content without quotes or backslashes (a valid Host has neither, so usually as is). */
function quotable(v: string): string {
  return v.includes('"') || v.includes('\\') ? v.replace(/["\\]/g, '') : v;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Backend response headers an AWS REST API renames to `x-amzn-Remapped-<Name>`, as recorded
 * (test/fixtures/aws-recorded/: `TestApiGatewayHeaderRemapping`, `test_http_integration_with_lambda`):
 * AWS sends its own Connection, Content-Length, Date and x-amzn-RequestId in their place, and no Server.
 */
const REST_REMAPPED: ReadonlyMap<string, string> = new Map([
  ['connection', 'x-amzn-Remapped-Connection'],
  ['content-length', 'x-amzn-Remapped-Content-Length'],
  ['date', 'x-amzn-Remapped-Date'],
  ['server', 'x-amzn-Remapped-Server'],
  ['x-amzn-requestid', 'x-amzn-Remapped-x-amzn-RequestId'],
]);

/**
 * The upstream's response headers minus hop-by-hop ones (the caller adds the request id and hooks).
 * `rest`: REST API remapping (REST_REMAPPED); Content-Length stays too, the body being unchanged.
 */
export function copyResponseHeaders(headers: IncomingHttpHeaders, rest = false): OutgoingHttpHeaders {
  const nominated = nominatedHeaders(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (rest) {
      const remapped = REST_REMAPPED.get(name);
      if (remapped !== undefined) {
        out[remapped] = headers[name];
        if (name !== 'content-length') continue;
      }
    }
    if (HOP_BY_HOP.has(name) || nominated?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}
