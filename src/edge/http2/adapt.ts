import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { constants, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { EngineSocket } from '../../server/engine/types.js';

/**
 * node:http2's compatibility API (Http2ServerRequest/Http2ServerResponse) made to satisfy the engine
 * interface (src/server/engine/types.ts) the way node:http does, so an HTTP/2 request runs the same
 * handler, pipeline, gateway responses and forwarding as an HTTP/1.1 one. Where they differ:
 *
 * - `:authority` is the Host (a Host header naming another authority is a 400, RFC 9113 §8.3.1);
 *   pseudo-headers are not headers (never forwarded); the compact list is rebuilt without them.
 * - A request whose DATA follows its HEADERS without a Content-Length is marked as HTTP/1.1 marks a
 *   body of unknown length, `transfer-encoding: chunked` in `headers` (not in `rawHeaders`, so the
 *   upstream sees only what the client sent), so every "has a body" test (declaresBody) holds.
 * - Each stream gets its own socket face (StreamSocket): a refusal that closes "the connection" on
 *   HTTP/1.1 closes that stream only, body bytes are counted per stream for the slow-body watch.
 * - Responses drop the connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2: Connection,
 *   Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, and TE other than `trailers`), which
 *   an upstream or a gateway response (`connection: close`) may carry.
 */

/** Lower-case names RFC 9113 §8.2.2 forbids in an HTTP/2 message. */
export const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/** Streams the gateway reset itself (not the client): the rapid-reset count leaves them out. */
export const RESET_BY_GATEWAY = new WeakSet<ServerHttp2Stream>();

/** A response header object without the connection-specific headers. */
export function h2Headers(headers: OutgoingHttpHeaders | undefined): OutgoingHttpHeaders | undefined {
  if (!headers) return headers;
  let out: OutgoingHttpHeaders | undefined;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(lower) || (lower === 'te' && String(headers[name]).toLowerCase() !== 'trailers')) {
      out ??= { ...headers };
      delete out[name];
    }
  }
  return out ?? headers;
}

/** One stream's face of the connection (EngineSocket), plus what the mTLS check reads of a TLS socket. */
export class StreamSocket implements EngineSocket {
  readonly #stream: ServerHttp2Stream;
  readonly #tcp: TLSSocket;
  bytesRead = 0;

  constructor(stream: ServerHttp2Stream, tcp: TLSSocket) {
    this.#stream = stream;
    this.#tcp = tcp;
    stream.on('data', (c: Buffer) => (this.bytesRead += c.length));
  }

  get remoteAddress(): string | undefined {
    return this.#tcp.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#tcp.remotePort;
  }
  get bytesWritten(): number {
    return this.#tcp.bytesWritten;
  }
  get writableLength(): number {
    return this.#stream.writableLength;
  }
  get destroyed(): boolean {
    return this.#stream.destroyed;
  }
  /** False: nothing may write HTTP/1.1 bytes here; an HTTP/1.1 "answer and close" becomes destroy(). */
  get writable(): boolean {
    return false;
  }
  /** Resets this stream only (CANCEL); the connection and its other streams go on. */
  destroy(): void {
    RESET_BY_GATEWAY.add(this.#stream);
    if (!this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
  }

  // What TlsTerminator.clientAllowed reads (mTLS per custom domain).
  get servername(): string | false | undefined {
    return (this.#tcp as TLSSocket & { servername?: string | false }).servername;
  }
  get authorized(): boolean {
    return this.#tcp.authorized === true;
  }
  get encrypted(): boolean {
    return this.#tcp.encrypted === true;
  }
  getPeerX509Certificate(): ReturnType<TLSSocket['getPeerX509Certificate']> {
    return this.#tcp.getPeerX509Certificate?.();
  }
  getPeerCertificate(detailed: true): ReturnType<TLSSocket['getPeerCertificate']> {
    return this.#tcp.getPeerCertificate?.(detailed);
  }
}

/** The headers and compact list the pipeline reads, from an HTTP/2 request. 'bad' when Host and :authority disagree. */
function requestHeaders(req: Http2ServerRequest): { headers: IncomingHttpHeaders; raw: string[] } | 'bad' {
  const src = req.headers;
  const authority = src[':authority'];
  const headers: IncomingHttpHeaders = {};
  const raw: string[] = [];
  const host = src.host;
  if (authority !== undefined) {
    if (host !== undefined && host !== authority) return 'bad';
    headers.host = authority;
    raw.push('host', authority);
  }
  const list = req.rawHeaders;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string;
    if (name.charCodeAt(0) === 58 /* : */) continue;
    if (name === 'host' && authority !== undefined) continue;
    raw.push(name, list[i + 1] as string);
  }
  for (const name of Object.keys(src)) {
    if (name.charCodeAt(0) === 58 || name === 'host') continue;
    (headers as Record<string, unknown>)[name] = src[name];
  }
  if (host !== undefined && authority === undefined) headers.host = host;
  if (!req.stream.endAfterHeaders && headers['content-length'] === undefined) headers['transfer-encoding'] = 'chunked';
  return { headers, raw };
}

/**
 * Makes the compat request and response the engine's, in place (they are used as they are
 * everywhere else). Returns false when the request is malformed: the caller answers 400.
 */
export function adaptExchange(req: Http2ServerRequest, res: Http2ServerResponse, tcp: TLSSocket): boolean {
  const h = requestHeaders(req);
  const socket = new StreamSocket(req.stream, tcp);
  Object.defineProperty(req, 'socket', { value: socket, configurable: true });
  if (h !== 'bad') {
    Object.defineProperty(req, 'headers', { value: h.headers, configurable: true, writable: true });
    Object.defineProperty(req, 'rawHeaders', { value: h.raw, configurable: true });
  }
  const stream = res.stream;
  Object.defineProperty(res, 'destroyed', { get: () => stream.destroyed, configurable: true });
  Object.defineProperty(res, 'socket', { value: socket, configurable: true });
  for (const o of [req, res]) {
    const destroy = o.destroy.bind(o) as (err?: Error) => unknown;
    Object.assign(o, {
      destroy: (err?: Error) => {
        RESET_BY_GATEWAY.add(stream);
        destroy(err);
        return o;
      },
    });
  }
  const writeHead = res.writeHead.bind(res) as (s: number, h?: OutgoingHttpHeaders) => Http2ServerResponse;
  const setHeader = res.setHeader.bind(res);
  Object.assign(res, {
    shouldKeepAlive: true,
    writeHead: (status: number, headers?: OutgoingHttpHeaders) => writeHead(status, h2Headers(headers)),
    setHeader: (name: string, value: number | string | readonly string[]) =>
      CONNECTION_SPECIFIC.has(name.toLowerCase()) ? res : setHeader(name, value),
  });
  return h !== 'bad';
}

/** The types the data handler is declared with (node:http's), for an adapted HTTP/2 exchange. */
export function asHttp1(req: Http2ServerRequest, res: Http2ServerResponse): [IncomingMessage, ServerResponse] {
  return [req as unknown as IncomingMessage, res as unknown as ServerResponse];
}
