import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { formatListen, type ListenAddress } from '../config/listen.js';
import type { Logger } from '../logger.js';
import { normalizeIp } from './client-ip.js';
import type { EngineResponse } from './engine/types.js';

/** Client timeouts every listener runs (server.timeouts). */
export interface ListenerTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

/** Connection caps of one listener (docs/security.md, "Client limits and timeouts"). */
export interface ConnectionLimits {
  /** Open connections at most; beyond it Node closes a new connection at accept. */
  maxConnections: number;
  /** Open connections per peer address at most; 0 is no cap. Beyond it: 503 and close. */
  maxConnectionsPerIp: number;
}

/**
 * Node's timeout options for a listener. headersTimeout runs from accept (a socket that never sends a
 * byte gets 408 and is closed, measured on Node 20 by test/reliability/connections.test.ts); Node
 * checks it and requestTimeout only every connectionsCheckingInterval, 30 s by default, so 500 ms
 * here (reliability §4.2).
 */
export function timeoutOptions(t: ListenerTimeouts): ServerOptions {
  return {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionsCheckingInterval: 500,
  };
}

const PER_IP_BODY = JSON.stringify({ message: 'Too many connections from this address' });
const PER_IP_REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n' +
  `content-length: ${PER_IP_BODY.length}\r\nconnection: close\r\n\r\n${PER_IP_BODY}`;
/** A refused socket that does not read its 503 is dropped after this long. */
const REFUSED_LINGER_MS = 2000;

/** Logs one line per kind of event per `everyMs` at most, with how many were not logged. */
function throttledLog(
  log: Logger,
  everyMs: number,
): (kind: string, fields: Record<string, unknown>, msg: string) => void {
  const last = new Map<string, { at: number; skipped: number }>();
  return (kind, fields, msg) => {
    const now = Date.now();
    const s = last.get(kind);
    if (s && now - s.at < everyMs) {
      s.skipped++;
      return;
    }
    last.set(kind, { at: now, skipped: 0 });
    log.warn({ ...fields, notLogged: s?.skipped ?? 0 }, msg);
  };
}

/**
 * What every listener (data, admin) gets beside its request handler, so that no client, socket or
 * accept error ends the process: a server 'error' listener (EMFILE on accept would otherwise be an
 * unhandled 'error' event), 'error' listeners on every request, response and socket, the connection
 * caps, and the clientError / CONNECT answers (`onClientError`). `limits` is read again for each
 * connection, so a reload changes the per-IP cap; maxConnections is applied by `applyLimits`.
 */
export function hardenListener(server: Server, name: string, log: Logger, limits: () => ConnectionLimits): void {
  const warn = throttledLog(log, 10_000);
  server.on('error', (err: NodeJS.ErrnoException) => {
    // Errors before listening are the caller's (listenOn reports them); later ones are accept errors.
    if (server.listening) warn('accept', { listener: name, err }, 'listener error (the listener keeps serving)');
  });
  server.on('drop', (d?: { remoteAddress?: string }) =>
    warn(
      'drop',
      { listener: name, maxConnections: server.maxConnections, remoteAddress: d?.remoteAddress },
      'connection refused: listener at maxConnections',
    ),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(err, socket));
  // CONNECT (a tunnel request): nothing here serves it; Node would just drop the socket.
  server.on('connect', (_req: IncomingMessage, socket: Socket) =>
    onClientError(Object.assign(new Error('CONNECT'), { code: 'CONNECT' }), socket),
  );
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const onError = (err: Error) => log.debug({ listener: name, err }, 'request stream error');
    req.on('error', onError);
    res.on('error', onError);
  });
  applyLimits(server, limits());

  // The per-IP cap decides before Node's HTTP machinery sees the socket: its own 'connection'
  // listener (which attaches the parser) runs only for sockets let through.
  const http = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const perIp = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const cap = limits().maxConnectionsPerIp;
    const ip = normalizeIp(socket.remoteAddress ?? '');
    const n = (perIp.get(ip) ?? 0) + 1;
    perIp.set(ip, n);
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
    });
    if (cap > 0 && n > cap) {
      // nginx limit_conn answers 503; so does this, before reading anything, and closes.
      // Node's HTTP layer never sees this socket, so its errors are handled here.
      socket.on('error', () => socket.destroy());
      warn(
        'per-ip',
        { listener: name, remoteAddress: ip, maxConnectionsPerIp: cap },
        'connection refused: maxConnectionsPerIp',
      );
      socket.end(PER_IP_REFUSAL);
      socket.setTimeout(REFUSED_LINGER_MS, () => socket.destroy());
      socket.resume();
      return;
    }
    for (const l of http) l.call(server, socket);
  });
}

/**
 * The Expect handling every data listener shares. With a 'checkContinue' listener Node no longer sends
 * `100 Continue` by itself: the integration sends it once the request has passed routing and the size
 * check, so a rejected upload is never sent. An Expect other than 100-continue gets a 417 that closes
 * the connection (Node's own 417 keeps it open with the body unread).
 */
export function handleExpect(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = '{"message":"Expectation Failed"}';
    res.writeHead(417, { 'content-type': 'application/json', 'content-length': body.length, connection: 'close' });
    res.end(body);
  });
}

/** Applies the caps that live on the server object (at start and on reload). */
export function applyLimits(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
}

/**
 * The error boundary's last step for one request: the handler threw (or its promise rejected).
 * `status` is 400 for malformed input, else 500 (logged). A response already started is cut, so a
 * truncated body is never passed off as complete.
 */
export function answerFailure(res: EngineResponse, status: number, message: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/** Malformed or oversized requests never reach the router: answer and close (no keep-alive). */
export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // A response to an earlier (pipelined) request on this connection is still being written: a 400
  // now would land in its place and be read as its answer. Let it finish, then answer, unless it
  // closes the connection itself (then nothing more is said on it). docs/security.md.
  const pending = (socket as Socket & { _httpMessage?: (ServerResponse & { _last?: boolean }) | null })._httpMessage;
  // `_last`: Node's own flag for a response that ends the connection (e.g. it says Connection: close).
  const closes = (r: ServerResponse & { _last?: boolean }) => !r.shouldKeepAlive || r._last === true;
  if (pending && !pending.writableFinished && !pending.req.complete) {
    // The error is in the body of the request being answered: answer it now, as Node does, unless
    // its response has started (then only closing is safe).
    if (pending.headersSent) {
      socket.destroy();
      return;
    }
  } else if (pending && !pending.writableFinished) {
    pending.once('finish', () => setImmediate(() => (closes(pending) ? socket.end() : onClientError(err, socket))));
    pending.once('close', () => pending.writableFinished || socket.destroy());
    return;
  }
  if (pending && pending.writableFinished && closes(pending)) {
    socket.end();
    return;
  }
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Refuses to run with Node's lenient parser: it reopens request smuggling (reliability §4.1). */

export function assertStrictParser(): void {
  if (
    process.execArgv.some((a) => a.startsWith('--insecure-http-parser')) ||
    process.env.NODE_OPTIONS?.includes('--insecure-http-parser')
  ) {
    throw new Error('portico refuses to run with --insecure-http-parser: it enables request smuggling');
  }
}

export function urlHost(address: string): string {
  return address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
}

export function listenOn(server: Server, addr: ListenAddress): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'address already in use'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.message;
      reject(new Error(`cannot listen on ${formatListen(addr)}: ${why}`));
    };
    server.once('error', onError);
    server.listen(addr.port, addr.host, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
}

/**
 * A request body too slow (server.timeouts.bodyIdleMs, bodyMinBytesPerSecond): answered like Node's
 * own requestTimeout, 408 and close; the socket is destroyed a moment later if the client keeps it
 * open, and its closing aborts any upstream request the body was streaming to.
 */

export function cutSlowBody(socket: Socket): void {
  onClientError(Object.assign(new Error('request body too slow'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
  if (!socket.destroyed) setTimeout(() => socket.destroy(), 1000).unref();
}

/** The admin listener's connection limits (admin.maxConnections; no per-IP cap). */
export function adminLimits(c: { admin: { maxConnections: number } }): ConnectionLimits {
  return { maxConnections: c.admin.maxConnections, maxConnectionsPerIp: 0 };
}
