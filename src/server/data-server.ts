import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { EngineRequest, EngineResponse } from './engine/types.js';
import { createPorticoServer, createPorticoTlsServer } from './engine/portico/server.js';
import {
  type ConnectionLimits,
  handleExpect,
  hardenListener,
  type ListenerTimeouts,
  timeoutOptions,
} from './listener.js';

export type Engine = 'node' | 'portico';
export type DataHandler = (req: EngineRequest, res: EngineResponse) => void;
export type UpgradeHandler = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

/** The engine a gateway runs: PORTICO_ENGINE (the test runner's switch) over server.engine. */
export function selectEngine(configured: Engine, env: NodeJS.ProcessEnv = process.env): Engine {
  const e = env.PORTICO_ENGINE;
  if (e === undefined || e === '') return configured;
  if (e === 'node' || e === 'portico') return e;
  throw new Error(`PORTICO_ENGINE: expected 'node' or 'portico', got '${e}'`);
}

export interface DataServerOptions {
  engine: Engine;
  /** The listener's name in logs ('data', 'data[0]'). */
  name: string;
  log: Logger;
  handler: DataHandler;
  /** The WebSocket (and other Upgrade) handler, on every data listener (src/server/upgrade.ts). */
  upgrade: UpgradeHandler;
  maxHeaderBytes: number;
  timeouts: ListenerTimeouts;
  limits: () => ConnectionLimits;
  /** TLS options (TlsTerminator.options()): an HTTPS listener. */
  tls?: TlsOptions;
  /**
   * The one place a TLS socket is handed to HTTP/1.1 (portico engine): an ALPN switch returns true
   * for a socket it serves itself (h2). Sockets stay real tls.TLSSocket objects.
   */
  routeTls?: (socket: TLSSocket) => boolean;
  /** The portico engine's timer-wheel clock (tests). */
  clock?: Clock;
}

/**
 * One data listener, plain or TLS, on either HTTP engine (issue 18), built the same way for
 * server.listen and server.extraListeners: the handler, the Expect handling, the hardening
 * (clientError answers, connection caps, error listeners) and the Upgrade handler. The result is a
 * node:http Server or a net/tls Server that offers the same members the gateway uses (listen,
 * close, closeAllConnections, closeIdleConnections, getConnections, maxConnections, address).
 */
export function createDataServer(o: DataServerOptions): Server {
  const handler = o.handler as unknown as (req: IncomingMessage, res: ServerResponse) => void;
  let server: Server;
  if (o.engine === 'portico') {
    const p = {
      maxHeaderSize: o.maxHeaderBytes,
      headersTimeout: o.timeouts.headersMs,
      requestTimeout: o.timeouts.requestMs,
      keepAliveTimeout: o.timeouts.keepAliveMs,
      // Deadlines are checked every 500 ms, as node:http's connectionsCheckingInterval (listener.ts).
      tickMs: 500,
      ...(o.clock ? { clock: o.clock } : {}),
    };
    const s = o.tls ? createPorticoTlsServer(p, o.tls, o.routeTls) : createPorticoServer(p);
    s.on('request', handler);
    server = s as unknown as Server;
  } else {
    const opts = { maxHeaderSize: o.maxHeaderBytes, ...timeoutOptions(o.timeouts), requireHostHeader: false };
    server = (o.tls ? createHttpsServer({ ...opts, ...o.tls }, handler) : createHttpServer(opts, handler)) as Server;
  }
  if (o.tls)
    server.on('tlsClientError', (err: Error) =>
      o.log.debug({ listener: o.name, err: err.message }, 'TLS handshake failed'),
    );
  handleExpect(server);
  // clientError and CONNECT answers, connection caps, 'error' listeners (src/server/listener.ts).
  hardenListener(server, o.name, o.log, o.limits);
  server.on('upgrade', o.upgrade);
  return server;
}
