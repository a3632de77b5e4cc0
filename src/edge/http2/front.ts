import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  constants,
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../logger.js';
import { adaptExchange, asHttp1, RESET_BY_GATEWAY } from './adapt.js';
import type { Http2Config } from './schema.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface H2FrontDeps {
  /** The listener's request handler: the same one its HTTP/1.1 requests get. */
  handler: Handler;
  log: Logger;
  name: string;
  config: Http2Config;
  /** server.limits.maxHeaderBytes: a header list larger than this is a 431. */
  maxHeaderBytes: number;
  timeouts: { headersMs: number; keepAliveMs: number };
  now?: () => number;
}

/** RFC 9113 §3.4: the client connection preface. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const TOO_LARGE = '{"message":"Request Header Fields Too Large"}';
const BAD = '{"message":"Bad Request"}';

/** RFC 9113 §6.5.2's size of a header list: each name + value + 32. */
function headerListSize(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) n += (raw[i] as string).length + (raw[i + 1] as string).length + 32;
  return n;
}

function answer(res: Http2ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

/**
 * HTTP/2 in front of one data listener (docs/edge.md#http2): a node:http2 server that is never
 * listening itself; connections are handed to it by `dispatch` (a TLS socket whose ALPN chose h2)
 * or `sniff` (a plain socket starting with the preface, h2c with prior knowledge). Its requests are
 * adapted to the engine interface (adapt.ts) and given to the listener's handler. Per connection it
 * adds what node:http2 does not do by itself: the rapid-reset limit (CVE-2023-44487), the header
 * list 431, an idle timeout (headersMs before the first request, keepAliveMs between requests).
 */
export class H2Front {
  readonly server: Http2Server;
  readonly #deps: H2FrontDeps;
  readonly #now: () => number;
  readonly #sessions = new Set<ServerHttp2Session>();

  constructor(deps: H2FrontDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.server = createServer({
      settings: {
        maxConcurrentStreams: deps.config.maxConcurrentStreams,
        // Advertised to clients; node:http2 does not stop a larger list, the 431 below does.
        maxHeaderListSize: deps.maxHeaderBytes,
        enablePush: false,
      },
      maxHeaderListPairs: 1000,
      // node:http2's own bounds on a misbehaving peer (invalid frames, refused streams) stay as they are.
    });
    this.server.on('session', (s: ServerHttp2Session) => this.#guard(s));
    this.server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => this.#request(req, res));
    this.server.on('sessionError', (err: Error) =>
      deps.log.debug({ listener: deps.name, err: err.message }, 'h2 session error'),
    );
  }

  /** For the TLS listener's secureConnection: takes the socket if ALPN chose h2. */
  dispatch = (socket: Socket & { alpnProtocol?: string | false }): boolean => {
    if (socket.alpnProtocol !== 'h2') return false;
    this.server.emit('connection', socket);
    return true;
  };

  /**
   * For a plain listener with h2c: reads until the first bytes tell; a socket that starts with the
   * preface goes to HTTP/2, anything else to `http1` with the bytes put back.
   */
  sniff = (socket: Socket, http1: (socket: Socket) => void): void => {
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const n = Math.min(buf.length, H2_PREFACE.length);
      const prefix = buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (prefix && n < H2_PREFACE.length) return;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      socket.unshift(buf);
      // node:http2 reads what is buffered on the socket itself (nodejs/node#35475); node:http needs it flowing.
      if (prefix) this.server.emit('connection', socket);
      else {
        http1(socket);
        socket.resume();
      }
    };
    const onEnd = () => socket.destroy();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.on('error', () => socket.destroy());
  };

  #request(req: Http2ServerRequest, res: Http2ServerResponse): void {
    req.on('error', () => {});
    res.on('error', () => {});
    // A stream the client reset before its request was dispatched (a rapid reset) has nothing to answer.
    const tcp = req.stream.session?.socket;
    if (req.stream.destroyed || !tcp) return;
    if (!adaptExchange(req, res, tcp as TLSSocket)) return answer(res, 400, BAD);
    if (headerListSize(req.rawHeaders) > this.#deps.maxHeaderBytes) return answer(res, 431, TOO_LARGE);
    const [r, s] = asHttp1(req, res);
    this.#deps.handler(r, s);
  }

  /** Per connection: rapid-reset count, idle timer, error containment. */
  #guard(session: ServerHttp2Session): void {
    const { config, timeouts, log, name } = this.#deps;
    this.#sessions.add(session);
    session.on('error', (err) => log.debug({ listener: name, err: err.message }, 'h2 connection error'));
    const resets: number[] = [];
    let open = 0;
    let served = false;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      const ms = served ? timeouts.keepAliveMs : timeouts.headersMs;
      if (ms > 0) idle = setTimeout(() => session.destroy(undefined, constants.NGHTTP2_NO_ERROR), ms).unref();
    };
    arm();
    session.on('close', () => {
      clearTimeout(idle);
      this.#sessions.delete(session);
    });
    session.on('stream', (stream: ServerHttp2Stream) => {
      open++;
      served = true;
      clearTimeout(idle);
      stream.on('error', () => {});
      stream.on('close', () => {
        if (--open === 0 && !session.destroyed) arm();
        // A reset that is the client's: the stream closed with an error code we did not send.
        if (stream.rstCode === constants.NGHTTP2_NO_ERROR || RESET_BY_GATEWAY.has(stream)) return;
        const now = this.#now();
        resets.push(now);
        while (resets.length && (resets[0] as number) <= now - config.rapidReset.windowMs) resets.shift();
        if (resets.length > config.rapidReset.maxResets && !session.destroyed) {
          log.warn(
            { listener: name, remoteAddress: session.socket?.remoteAddress, resets: resets.length },
            'HTTP/2 rapid reset: GOAWAY ENHANCE_YOUR_CALM',
          );
          session.destroy(new Error('HTTP/2 rapid reset'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
        }
      });
    });
  }

  /** Closes every HTTP/2 connection (listener close). */
  close(): void {
    for (const s of this.#sessions) s.destroy();
    this.#sessions.clear();
  }
}
