/**
 * Request smuggling and framing payloads.
 *
 * PROBE_PAYLOADS is copied from the project's reliability probes (`payloads.js`, written 2026-11-21
 * from the HTTP Garden trophies and PortSwigger's smuggling families; docs/security.md, "Request
 * framing"). RFC_PAYLOADS adds cases read from RFC 9112 §2–7;
 * `mutants()` derives more with fast-check. "/smuggled" and "/evil" mark an inner request that must
 * never reach the upstream.
 */
import fc from 'fast-check';

export interface Payload {
  name: string;
  /** Raw bytes as a latin1 string. */
  bytes: string;
  family: 'probe' | 'rfc9112' | 'mutant';
}

const H = 'Host: a\r\n';
const inner = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';

const PROBES: [string, string][] = [
  ['baseline-get', `GET /ok HTTP/1.1\r\n${H}\r\n`],
  ['baseline-chunked', `POST /ok HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['CL.TE both', `POST /x HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`],
  [
    'TE.CL smuggle',
    `POST /x HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5c\r\n${'GET /smuggled HTTP/1.1\r\nHost: a\r\nContent-Length: 15\r\n\r\nx=1'.padEnd(0x5c, 'x')}\r\n0\r\n\r\n`,
  ],
  ['dup CL differing', `POST /x HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: 35\r\n\r\n${inner}`],
  ['dup CL same', `POST /x HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`],
  ['CL list "3, 3"', `POST /x HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`],
  ['CL +3', `POST /x HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`],
  ['CL 0x3', `POST /x HTTP/1.1\r\n${H}Content-Length: 0x3\r\n\r\nabc`],
  ['CL empty', `POST /x HTTP/1.1\r\n${H}Content-Length: \r\n\r\n`],
  ['CL "1abc"', `POST /x HTTP/1.1\r\n${H}Content-Length: 1abc\r\n\r\nZ`],
  ['space before colon CL', `POST /x HTTP/1.1\r\n${H}Content-Length : 35\r\n\r\n${inner}`],
  ['leading space CL (first hdr)', `POST /x HTTP/1.1\r\n Content-Length: 35\r\n${H}\r\n${inner}`],
  ['TE xchunked + CL', `POST /x HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
  ['TE ",chunked"', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n`],
  ['TE "chunked, identity"', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`],
  ['TE "identity, chunked"', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n`],
  ['TE "chunked, chunked"', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`],
  [
    'TE twice (chunked + x)',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n`,
  ],
  ['TE tab value', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n`],
  ['TE space-before-colon', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`],
  ['TE obs-fold', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`],
  ['TE vtab', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\x0b\r\n\r\n0\r\n\r\n`],
  ['TE on HTTP/1.0', `POST /x HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['obs-fold normal hdr', `GET /x HTTP/1.1\r\n${H}X-A: 1\r\n  folded\r\n\r\n`],
  ['bare LF request', `GET /x HTTP/1.1\n${'Host: a\n'}\n`],
  ['bare LF in chunk line', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`],
  ['bare CR in header value', `GET /x HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`],
  ['NUL in header value', `GET /x HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`],
  ['CRLF-less header name w/ space', `GET /x HTTP/1.1\r\n${H}X A: b\r\n\r\n`],
  ['empty header name', `GET /x HTTP/1.1\r\n${H}: v\r\n\r\n`],
  ['\\r\\n\\rX header end (garden node#1)', `GET /x HTTP/1.1\r\n${H}\r\n\rZGET /evil: HTTP/1.1\r\nHost: a\r\n\r\n`],
  [
    '\\rX chunk terminator (garden node#2)',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\r;ABCD\r\n34\r\nE\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
  ],
  ['chunk ext ok', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;name=val\r\nabc\r\n0\r\n\r\n`],
  [
    'chunk ext 20KB',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;${'a'.repeat(20000)}\r\nabc\r\n0\r\n\r\n`,
  ],
  ['chunk size 0x3', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n`],
  ['chunk size -0 / +3', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n`],
  [
    'chunk size overflow',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffff1\r\nabc\r\n0\r\n\r\n`,
  ],
  ['chunk size trailing space', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`],
  ['chunk missing CRLF after data', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n`],
  ['missing Host (1.1)', `GET /x HTTP/1.1\r\n\r\n`],
  ['two Host headers', `GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`],
  ['absolute-form vs Host', `GET http://evil.example/x HTTP/1.1\r\nHost: a\r\n\r\n`],
  ['HTTP/1.32 version', `GET /x HTTP/1.32\r\n${H}\r\n`],
  ['HTTP/0.9', `GET /x\r\n\r\n`],
  ['header name 0x80', `GET /x HTTP/1.1\r\n${H}\x80oo: b\r\n\r\n`],
  ['method with bad chars', `G(E)T /x HTTP/1.1\r\n${H}\r\n`],
  ['pipelined GET+GET (legit)', `GET /p1 HTTP/1.1\r\n${H}\r\nGET /p2 HTTP/1.1\r\n${H}\r\n`],
];

export const PROBE_PAYLOADS: Payload[] = PROBES.map(([name, bytes]) => ({ name, bytes, family: 'probe' }));

/** Cases from RFC 9112 (message syntax §2, request line §3, fields §5, body length §6, chunked §7). */
const RFC: [string, string][] = [
  ['§2.2 leading CRLF before request line', `\r\nGET /ok HTTP/1.1\r\n${H}\r\n`],
  ['§2.2 whitespace between start line and first field', `GET /x HTTP/1.1\r\n \r\n${H}\r\n`],
  ['§2.3 HTTP/2.0 on an HTTP/1 connection', `GET /x HTTP/2.0\r\n${H}\r\n`],
  ['§2.3 lower-case version', `GET /x http/1.1\r\n${H}\r\n`],
  ['§2.3 HTTP/1.1 with leading zero minor', `GET /x HTTP/1.01\r\n${H}\r\n`],
  ['§3 two spaces in request line', `GET  /x HTTP/1.1\r\n${H}\r\n`],
  ['§3 tab as request-line separator', `GET\t/x HTTP/1.1\r\n${H}\r\n`],
  ['§3 lower-case method', `get /x HTTP/1.1\r\n${H}\r\n`],
  ['§3 very long method', `${'A'.repeat(300)} /x HTTP/1.1\r\n${H}\r\n`],
  ['§3.2 fragment in request target', `GET /x#frag/../smuggled HTTP/1.1\r\n${H}\r\n`],
  ['§3.2.2 absolute-form matching Host', `GET http://a/ok HTTP/1.1\r\n${H}\r\n`],
  ['§3.2.2 absolute-form with userinfo', `GET http://a@evil.example/x HTTP/1.1\r\n${H}\r\n`],
  ['§3.2.3 authority-form for GET', `GET a:80 HTTP/1.1\r\n${H}\r\n`],
  ['§3.2.3 CONNECT request', `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`],
  ['§3.2.4 asterisk-form OPTIONS', `OPTIONS * HTTP/1.1\r\n${H}\r\n`],
  ['§3.2 Host with userinfo', `GET /x HTTP/1.1\r\nHost: a@evil.example\r\n\r\n`],
  ['§3.2 Host evil:80@a', `GET /x HTTP/1.1\r\nHost: evil.example:80@a\r\n\r\n`],
  ['§3.2 Host with path', `GET /x HTTP/1.1\r\nHost: a/smuggled\r\n\r\n`],
  ['§3.2 Host with space', `GET /x HTTP/1.1\r\nHost: a b\r\n\r\n`],
  ['§3.2 empty Host on HTTP/1.1', `GET /x HTTP/1.1\r\nHost:\r\n\r\n`],
  ['§3.2 duplicate Host same value', `GET /x HTTP/1.1\r\n${H}${H}\r\n`],
  ['§3.2 Host plus host (case)', `GET /x HTTP/1.1\r\n${H}host: evil.example\r\n\r\n`],
  ['§3.2 HTTP/1.0 without Host', `GET /ok HTTP/1.0\r\n\r\n`],
  ['§5.1 space between name and colon (Host)', `GET /x HTTP/1.1\r\nHost : evil.example\r\n${H}\r\n`],
  ['§5.2 obs-fold in Host', `GET /x HTTP/1.1\r\nHost: a\r\n evil.example\r\n\r\n`],
  ['§5.5 DEL in header value', `GET /x HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`],
  ['§5.5 high-bit header value', `GET /ok HTTP/1.1\r\n${H}X-A: caf\xe9\r\n\r\n`],
  ['§6.1 TE gzip, chunked', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`],
  ['§6.1 TE CHUNKED upper case', `POST /ok HTTP/1.1\r\n${H}Transfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  [
    '§6.1 TE chunked with trailing whitespace',
    `POST /ok HTTP/1.1\r\n${H}Transfer-Encoding: chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  ],
  ['§6.1 TE "chunked;q=1"', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n`],
  [
    '§6.1 TE empty then chunked',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  ],
  [
    '§6.1 TE chunked then CL after',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${inner}`,
  ],
  ['§6.1 TE identity alone', `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc`],
  ['§6.1 TE on HTTP/1.0 with CL', `POST /x HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc`],
  ['§6.2 CL with leading zeros', `POST /ok HTTP/1.1\r\n${H}Content-Length: 003\r\n\r\nabc`],
  ['§6.2 CL negative', `POST /x HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`],
  ['§6.2 CL with trailing space', `POST /ok HTTP/1.1\r\n${H}Content-Length: 3 \r\n\r\nabc`],
  ['§6.2 CL 2^64', `POST /x HTTP/1.1\r\n${H}Content-Length: 18446744073709551616\r\n\r\n`],
  [
    '§6.2 CL shorter than body (pipelined rest)',
    `POST /ok HTTP/1.1\r\n${H}Content-Length: 1\r\n\r\naGET /p2 HTTP/1.1\r\n${H}\r\n`,
  ],
  ['§6.3 GET with CL body', `GET /ok HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc`],
  ['§6.3 GET with chunked body', `GET /ok HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['§6.3 POST without length (HTTP/1.1)', `POST /ok HTTP/1.1\r\n${H}\r\n`],
  [
    '§7.1 chunk size uppercase hex',
    `POST /ok HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n`,
  ],
  [
    '§7.1 chunk size with leading zeros',
    `POST /ok HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0003\r\nabc\r\n0\r\n\r\n`,
  ],
  [
    '§7.1 chunk larger than data, smuggled next',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n10\r\nabc\r\n0\r\n\r\n${inner}`,
  ],
  [
    '§7.1 last-chunk missing final CRLF then request',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n${inner}`,
  ],
  [
    '§7.1 chunk size with ";" and no name',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n`,
  ],
  [
    '§7.1 chunk extension quoted string',
    `POST /ok HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a="b;c"\r\nabc\r\n0\r\n\r\n`,
  ],
  [
    '§7.1.2 trailer field',
    `POST /ok HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n`,
  ],
  [
    '§7.1.2 trailer Content-Length',
    `POST /ok HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 40\r\n\r\n`,
  ],
  [
    '§7.1.2 trailer with bare LF',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\n\r\n`,
  ],
  [
    '§9.3 pipelined chunked then GET',
    `POST /p1 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /p2 HTTP/1.1\r\n${H}\r\n`,
  ],
  [
    '§9.6 Connection: close then pipelined',
    `GET /ok HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`,
  ],
  [
    '§9.6 Connection nominating Content-Length',
    `POST /ok HTTP/1.1\r\n${H}Connection: content-length\r\nContent-Length: 3\r\n\r\nabc`,
  ],
  [
    '§9.6 Connection nominating Transfer-Encoding',
    `POST /ok HTTP/1.1\r\n${H}Connection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  ],
  ['Expect 100-continue with CL', `POST /ok HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc`],
  [
    'Upgrade h2c request',
    `GET /ok HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n`,
  ],
  ['path dot-segment', `GET /x/../smuggled HTTP/1.1\r\n${H}\r\n`],
  ['path encoded dot-segment', `GET /x/%2e%2e/smuggled HTTP/1.1\r\n${H}\r\n`],
];

export const RFC_PAYLOADS: Payload[] = RFC.map(([name, bytes]) => ({ name, bytes, family: 'rfc9112' }));

/** Byte-level edits that tend to split parsers: whitespace, separators, line ends, NUL, case. */
const INSERTS = [
  ' ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\0',
  '\x0b',
  '\x0c',
  ',',
  ';',
  '0',
  '\r\n ',
  'chunked',
  'Content-Length: 5\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Host: evil.example\r\n',
];

type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'dupLine'; line: number }
  | { kind: 'case'; at: number; len: number }
  | { kind: 'lf'; line: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...INSERTS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('case' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('lf' as const), line: fc.nat() }),
);

function applyEdit(s: string, e: Edit): string {
  const head = s.indexOf('\r\n\r\n');
  // Edits aim mostly at the head, where the framing lives.
  const span = head === -1 ? s.length : Math.min(s.length, head + 16);
  if (e.kind === 'insert') {
    const at = e.at % (span + 1);
    return s.slice(0, at) + e.text + s.slice(at);
  }
  if (e.kind === 'delete') {
    const at = e.at % Math.max(1, span);
    return s.slice(0, at) + s.slice(at + e.len);
  }
  if (e.kind === 'case') {
    const at = e.at % Math.max(1, span);
    const part = s.slice(at, at + e.len);
    const flipped = part === part.toUpperCase() ? part.toLowerCase() : part.toUpperCase();
    return s.slice(0, at) + flipped + s.slice(at + e.len);
  }
  const lines = s.split('\r\n');
  const n = e.line % Math.max(1, lines.length - 1);
  if (e.kind === 'dupLine') lines.splice(n + 1, 0, lines[n] as string);
  else return lines.slice(0, n + 1).join('\r\n') + '\n' + lines.slice(n + 1).join('\r\n');
  return lines.join('\r\n');
}

/** `count` mutants of the probe and RFC payloads, 1–3 edits each, reproducible from `seed`. */
export function mutants(count: number, seed: number): Payload[] {
  const bases = [...PROBE_PAYLOADS, ...RFC_PAYLOADS];
  const arb = fc.tuple(fc.nat({ max: bases.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 3 }));
  return fc.sample(arb, { numRuns: count, seed }).map(([b, edits], i) => {
    const base = bases[b] as Payload;
    return { name: `mutant#${i} of "${base.name}"`, bytes: edits.reduce(applyEdit, base.bytes), family: 'mutant' };
  });
}

/** The named corpus: probes then RFC cases. */
export const NAMED_PAYLOADS: Payload[] = [...PROBE_PAYLOADS, ...RFC_PAYLOADS];
