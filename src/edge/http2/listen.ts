import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { Logger } from '../../logger.js';
import { H2Front } from './front.js';
import { http2Schema, type Http2Config } from './schema.js';

/** The HTTP/2 setting of one listener: on by default with TLS, only with `h2c: true` without. */
export function http2For(cfg: { http2?: Http2Config | undefined }, tls: boolean): Http2Config | undefined {
  const h = cfg.http2 ?? (tls ? http2Schema.parse({}) : undefined);
  if (!h || !h.enabled) return undefined;
  if (!tls && !h.h2c) return undefined;
  return h;
}

/** ALPN for a TLS listener that speaks h2: h2 preferred, http/1.1 for the rest. */
export function alpnOptions(h2: Http2Config | undefined): TlsOptions {
  return h2 ? { ALPNProtocols: ['h2', 'http/1.1'] } : {};
}

export interface AttachDeps {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  log: Logger;
  name: string;
  maxHeaderBytes: number;
  timeouts: { headersMs: number; keepAliveMs: number };
}

/**
 * Puts HTTP/2 in front of a listener's HTTP/1.1 server: on a TLS server each secureConnection is
 * first offered to `front.dispatch` (ALPN h2), on a plain one each connection to `front.sniff` (the
 * h2c preface); the rest go to the HTTP/1.1 listeners as before. Call before hardenListener, so
 * the per-IP cap runs first. (When the HTTP/1.1 engine owns the socket hand-off, it calls
 * `front.dispatch` itself.)
 */
export function attachHttp2(server: Server, h2: Http2Config, tls: boolean, deps: AttachDeps): H2Front {
  const front = new H2Front({ ...deps, config: h2 });
  const event = tls ? 'secureConnection' : 'connection';
  const http1 = server.listeners(event) as ((socket: Socket) => void)[];
  server.removeAllListeners(event);
  const toHttp1 = (socket: Socket) => {
    for (const l of http1) l.call(server, socket);
  };
  if (tls) server.on(event, (socket: Socket) => front.dispatch(socket) || toHttp1(socket));
  else server.on(event, (socket: Socket) => front.sniff(socket, toHttp1));
  return front;
}
