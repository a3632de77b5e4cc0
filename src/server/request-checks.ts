import type { IncomingHttpHeaders } from 'node:http';
import type { EngineRequest } from './engine/types.js';

/**
 * Checks Node's parser leaves to us (reliability reference §4.1, docs/security.md). Each returns a
 * short reason when the request must be refused with 400 and the connection closed, else undefined.
 * They run on every request, so the common case is one pass over rawHeaders and one regex test.
 */

/**
 * The request says a body follows (RFC 9112 §6.3): a Content-Length other than 0, or a
 * Transfer-Encoding. Node's strict parser refuses the two together, so either order of the tests
 * gives the same answer. What reading, buffering, inspecting and forwarding a body go by.
 */
export function declaresBody(h: IncomingHttpHeaders): boolean {
  const cl = h['content-length'];
  return cl !== undefined ? cl !== '0' : h['transfer-encoding'] !== undefined;
}

/**
 * The request carries body framing at all, `Content-Length: 0` included: a stricter test than
 * declaresBody, for replaying a request as a bodiless GET (the cache's background revalidation).
 */
export function hasBodyFraming(h: IncomingHttpHeaders): boolean {
  return h['content-length'] !== undefined || h['transfer-encoding'] !== undefined;
}

/** RFC 9112 §3.2 / RFC 3986 §3.2.2: reg-name or IP-literal, optional port; no userinfo. */
const HOST_SYNTAX = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=-]*)(?::[0-9]{0,5})?$/;

/**
 * Framing and Host checks on the raw header list:
 * - HTTP/1.x only (Node answers an HTTP/0.9 request line as if it were 1.x);
 * - exactly one Host (Node keeps only the first of two, RFC 9112 §3.2 requires 400), with a valid value;
 * - Transfer-Encoding only as the single coding `chunked` on HTTP/1.1: Node accepts `,chunked` and
 *   `identity, chunked`, which other hops read differently (request smuggling), and TE on HTTP/1.0
 *   (RFC 9112 §6.1: the framing is faulty).
 */
export function framingProblem(req: EngineRequest): string | undefined {
  // HTTP/2 arrives through src/edge/http2/adapt.ts: one Host (from :authority), no Transfer-Encoding.
  if (req.httpVersionMajor === 2 && req.httpVersionMinor === 0) return undefined;
  if (req.httpVersionMajor !== 1) return 'unsupported HTTP version';
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const len = name.length;
    if (len === 4) {
      if (name.toLowerCase() !== 'host') continue;
      if (++hosts > 1) return 'duplicate Host header';
      if (!HOST_SYNTAX.test(raw[i + 1] as string)) return 'invalid Host header';
    } else if (len === 17 && name.toLowerCase() === 'transfer-encoding') {
      if (req.httpVersionMinor === 0) return 'Transfer-Encoding on HTTP/1.0';
      if ((raw[i + 1] as string).trim().toLowerCase() !== 'chunked') return 'Transfer-Encoding other than chunked';
    }
  }
  return undefined;
}

/** Characters that make a path worth a closer look; a path without any is accepted at once. */
const SUSPECT = /[%.;\\#\x00-\x20\x7f-\uffff]|\/\//;
/** Dangerous escapes that survive one decoding (double encoding): `%252e`, `%252f`, ... */
const ENCODED_DANGER = /%(?:2e|2f|5c|3b|00|25)/i;

/**
 * The path policy (docs/security.md, "Path canonicalisation"): the gateway forwards the path as
 * received, so it refuses any path that an upstream's normaliser could read as a different path than
 * the router did: dot-segments in any encoding, segments ending in a dot or space, encoded or raw
 * (back)slashes beyond plain `/` separators, empty segments (`//`), `;` parameters, control characters and NUL, a fragment, invalid
 * UTF-8 escapes, double-encoded specials, and characters whose Unicode compatibility form is one of
 * these. `rawPath` is the path part of the request target (no query). With `allowEmptySegments`,
 * `//` passes this check (every other rule stays): the handler then routes it only for an API with
 * `emptySegments: aws`, on the merged path (src/router/empty-segments.ts), and refuses it for others.
 */
export function pathProblem(rawPath: string, allowEmptySegments = false): string | undefined {
  if (!SUSPECT.test(rawPath)) return undefined;
  // Outside RFC 3986 pchar: controls, space, non-ASCII bytes, backslash, '#'.
  if (/[\x00-\x20\x7f-\uffff\\#]/.test(rawPath)) return 'invalid character in path';
  let decoded = rawPath;
  if (rawPath.includes('%')) {
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return 'invalid percent-encoding in path';
    }
    if (ENCODED_DANGER.test(decoded)) return 'double-encoded character in path';
    if (/[\x00-\x1f\x7f\\]/.test(decoded)) return 'encoded control character or backslash in path';
    if (/[^\x00-\x7f]/.test(decoded)) {
      const compat = decoded.normalize('NFKC');
      if (countSpecials(compat) !== countSpecials(decoded)) return 'Unicode look-alike of a path delimiter';
    }
  }
  if (decoded.includes(';')) return '";" in path';
  // Segments as a decoding upstream sees them (so %2F splits too). The leading "/" gives one empty
  // segment first; a trailing slash gives one empty segment last, which routing ignores, as on AWS.
  const segs = decoded.split('/');
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i] as string;
    if (s === '.' || s === '..') return 'dot-segment in path';
    // Windows (IIS, ASP.NET) drops trailing dots and spaces: `..%20` and `admin.` would read as `..`, `admin`.
    const last = s.charCodeAt(s.length - 1);
    if (last === 46 || last === 32) return 'segment ending in a dot or space';
    if (s === '' && i < segs.length - 1 && !allowEmptySegments) return 'empty segment in path';
  }
  if (decoded !== rawPath && countSlashes(decoded) !== countSlashes(rawPath)) return 'encoded slash in path';
  return undefined;
}

function countSpecials(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 || c === 47 || c === 92 || c === 59 || c === 37 || c === 35 || c === 63 || c < 32) n++;
  }
  return n;
}

function countSlashes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 47) n++;
  return n;
}

const closing = new WeakSet<object>();

/**
 * The gateway refused a request on this connection and answers it with Connection: close. Node still
 * parses and emits requests pipelined behind it; those must not be processed (or forwarded) at all.
 */
export function markClosing(socket: object): void {
  closing.add(socket);
}

export function isClosing(socket: object): boolean {
  return closing.has(socket);
}
