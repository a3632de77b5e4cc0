import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Clock } from '../../../clock.js';
import { Connection } from './connection.js';
import { TimerWheel } from './timer-wheel.js';

export interface PorticoServerOptions {
  maxHeaderSize: number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  /** The timer wheel's clock and tick (tests inject a clock and call `wheel.tick()`). */
  clock?: Clock;
  tickMs?: number;
}

/** The members of node:http's Server the gateway uses beyond net.Server's. */
export interface EngineServerExtras {
  closeAllConnections(): void;
  closeIdleConnections(): void;
  readonly wheel: TimerWheel;
}

/**
 * Makes a net.Server (or tls.Server) serve HTTP/1.1 with the `portico` engine: `accept` hands it one
 * socket (plain from 'connection', TLS from 'secureConnection'; src/server/engine/index.ts wires
 * which). It then emits node:http's events ('request', 'checkContinue', 'checkExpectation',
 * 'upgrade', 'connect', 'clientError'), so the listener set-up (src/server/listener.ts) is shared
 * with the node engine. close() also closes idle connections, as http.Server's does.
 */
export function porticoEngine<S extends NetServer>(
  server: S,
  o: PorticoServerOptions,
): { server: S & EngineServerExtras; accept: (socket: Socket) => void } {
  const wheel = new TimerWheel({ ...(o.clock ? { clock: o.clock } : {}), ...(o.tickMs ? { tickMs: o.tickMs } : {}) });
  const open = new Set<Connection>();
  const opts = {
    server,
    wheel,
    maxHeaderSize: o.maxHeaderSize,
    headersTimeout: o.headersTimeout,
    requestTimeout: o.requestTimeout,
    keepAliveTimeout: o.keepAliveTimeout,
    closed: (c: Connection) => open.delete(c),
  };
  const accept = (socket: Socket) => {
    try {
      open.add(new Connection(socket, opts));
    } catch {
      socket.destroy();
    }
  };
  const s = server as S & EngineServerExtras;
  Object.defineProperty(s, 'wheel', { value: wheel });
  s.closeAllConnections = () => {
    for (const c of [...open]) c.socket.destroy();
  };
  s.closeIdleConnections = () => {
    for (const c of [...open]) c.closeIfIdle();
  };
  const close = s.close.bind(s);
  s.close = (cb?: (err?: Error) => void) => {
    close(cb);
    s.closeIdleConnections();
    return s;
  };
  return { server: s, accept };
}

/** A plain HTTP/1.1 listener on the `portico` engine. */
export function createPorticoServer(o: PorticoServerOptions): NetServer & EngineServerExtras {
  const { server, accept } = porticoEngine(new NetServer({ noDelay: true }), o);
  server.on('connection', accept);
  return server;
}

/**
 * A TLS listener on the `portico` engine. `route` is the single place a handshaken socket is handed to
 * HTTP/1.1: an ALPN switch (h2) wraps it and returns true for a socket it took.
 */
export function createPorticoTlsServer(
  o: PorticoServerOptions,
  tls: TlsOptions,
  route?: (socket: TLSSocket) => boolean,
): TlsServer & EngineServerExtras {
  const { server, accept } = porticoEngine(new TlsServer({ ...tls, noDelay: true } as TlsOptions), o);
  server.on('secureConnection', (socket: TLSSocket) => {
    if (route?.(socket)) return;
    accept(socket);
  });
  return server;
}
