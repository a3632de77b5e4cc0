/**
 * Why Portico's verdict differs from nginx's or HAProxy's on a payload of the named corpus.
 * smuggling.differential.test.ts fails on a difference without an entry here (and on an entry whose
 * payload no longer differs); docs/security.md shows this table.
 */
const BOTH_CL_TE =
  'Portico (like nginx) refuses a request carrying both Content-Length and Transfer-Encoding; HAProxy takes the other RFC 9112 §6.1 option (drop CL, forward chunked, close). Refusing is the stricter choice and what the CL.TE/TE.CL families probe.';
const HA_LENIENT_FRAMING =
  "Portico (like nginx) refuses; HAProxy normalises and forwards. Node's strict parser rejects it, and a gateway that accepted it would be at odds with every Node backend behind it.";
const HOST_SYNTAX =
  'Portico checks the Host value against RFC 3986 host[:port] syntax (no userinfo, no path, no spaces); the oracles forward it. An "@" in Host lets two hops disagree on the host (evil:80@a is "evil" to some and "a" to others), so Portico refuses it.';
const NGINX_LENIENT =
  "nginx is lenient here and forwards; Portico (like HAProxy) refuses it with 400 because Node's strict parser does. Lenient parsing is where desync starts.";
const CHUNK_SYNTAX =
  "Portico refuses the malformed chunked body with 400 (Node's strict parser); nginx and HAProxy accept this spelling and re-frame it. Refusing is stricter and leaves no room for a second interpretation.";
const DOT_SEGMENTS =
  'Portico refuses dot-segments in any spelling (docs/security.md, path policy): the gateway forwards the path as received, so a normalising upstream would read /x/../smuggled as /smuggled, another route than the one the gateway matched. nginx and HAProxy forward it (nginx only normalises for its own location matching).';

export const JUSTIFICATIONS: Record<string, string> = {
  'CL.TE both': BOTH_CL_TE,
  'TE.CL smuggle': BOTH_CL_TE,
  '§6.1 TE chunked then CL after': BOTH_CL_TE,
  'dup CL same':
    'Portico (like nginx) refuses any repeated Content-Length; HAProxy merges identical copies (RFC 9110 §8.6 allows it). Refusing is stricter.',
  'CL list "3, 3"':
    'Portico (like nginx) refuses a Content-Length list; HAProxy merges identical members (RFC 9110 §8.6 allows it). Refusing is stricter.',
  'TE tab value':
    'A tab is optional whitespace (RFC 9110 §5.6.3), so "Transfer-Encoding:<TAB>chunked" is plain chunked: Portico and HAProxy forward it re-framed; nginx answers 501, an nginx quirk.',
  'TE obs-fold': HA_LENIENT_FRAMING,
  'obs-fold normal hdr':
    'RFC 9112 §5.2 lets a server reject obs-fold with 400; Portico and nginx do; HAProxy unfolds it. Refusing is stricter.',
  '§5.2 obs-fold in Host':
    'RFC 9112 §5.2 lets a server reject obs-fold with 400; Portico and nginx do; HAProxy unfolds it (into a Host with a space). Refusing is stricter.',
  'TE on HTTP/1.0':
    'RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 means faulty framing. Portico and nginx refuse it; HAProxy forwards it chunked.',
  '§6.1 TE empty then chunked': HA_LENIENT_FRAMING,
  'bare LF request':
    "RFC 9112 §2.2 allows a recipient to accept a bare LF as a line end; Node's strict parser (and so Portico) does not, nginx and HAProxy do. Refusing is stricter.",
  'bare LF in chunk line':
    "A bare LF after a chunk size: nginx and HAProxy accept it as a line end; Portico refuses it with 400 (Node's strict parser). Refusing is stricter.",
  '§7.1.2 trailer with bare LF':
    "A bare LF in a trailer: nginx and HAProxy accept it; Portico refuses it with 400 (Node's strict parser). Refusing is stricter.",
  'chunk ext 20KB':
    'Node caps chunk extensions (HPE_CHUNK_EXTENSIONS_OVERFLOW, CVE-2024-22019), so Portico refuses a 20 KB extension with 400; nginx ignores extensions and forwards; HAProxy waits for more bytes.',
  'chunk size trailing space': CHUNK_SYNTAX,
  '§7.1 last-chunk missing final CRLF then request':
    'The last chunk lacks its final CRLF, so the next request line is read as a trailer field: Portico (Node) refuses with 400 like HAProxy; nginx forwards the body and drops the "trailer". Nothing smuggled in any.',
  '§7.1 chunk size with ";" and no name': CHUNK_SYNTAX,
  '§7.1.2 trailer Content-Length':
    'A Content-Length in the trailer section: Portico (Node) refuses the message; nginx drops the trailer and forwards; HAProxy answers 502. Refusing is stricter.',
  'absolute-form vs Host':
    'An absolute-form target whose authority differs from Host: Portico (like HAProxy) refuses it; nginx routes by the URL authority. Refusing removes the question of which host auth and cache use.',
  'HTTP/1.32 version': NGINX_LENIENT,
  'header name 0x80': NGINX_LENIENT,
  '§2.3 HTTP/1.1 with leading zero minor': NGINX_LENIENT,
  '§3.2 fragment in request target':
    'A request target cannot carry a fragment (RFC 9112 §3.2). Portico (like HAProxy) refuses it; nginx forwards it with the "#" (the Traefik GHSA-fvhj-4qfh-q2hm pattern).',
  '§2.3 HTTP/2.0 on an HTTP/1 connection':
    'Portico refuses a request line claiming HTTP/2.0 with 400 (nginx: 505); HAProxy forwards it as HTTP/1.1.',
  '§3 tab as request-line separator': HA_LENIENT_FRAMING,
  '§3.2.4 asterisk-form OPTIONS':
    "OPTIONS * has no route: Portico and nginx answer 400; HAProxy forwards it. Portico's path policy refuses a request target that is not origin- or absolute-form.",
  '§3.2 Host with userinfo': HOST_SYNTAX,
  '§3.2 Host evil:80@a': HOST_SYNTAX,
  '§3.2 Host with path': HOST_SYNTAX,
  '§3.2 Host with space': HOST_SYNTAX,
  '§3.2 empty Host on HTTP/1.1':
    'RFC 9112 §3.2: an empty Host is allowed only when the target has no authority; Portico and nginx refuse it for origin-form; HAProxy forwards. Refusing is stricter.',
  '§3.2 duplicate Host same value':
    'RFC 9112 §3.2: more than one Host line is a 400, even with identical values. Portico and nginx refuse; HAProxy merges them. Node accepted it before the fix in src/server/request-checks.ts.',
  '§3.2 HTTP/1.0 without Host':
    'HTTP/1.0 has no Host requirement (RFC 9112 §3.2 applies to 1.1): Portico and HAProxy serve it; nginx refuses it because it has no default server name to route by.',
  'path dot-segment': DOT_SEGMENTS,
  'path encoded dot-segment': DOT_SEGMENTS,
};
