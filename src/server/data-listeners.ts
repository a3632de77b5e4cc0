import { type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { formatListen, parseListen } from '../config/listen.js';
import { TlsTerminator } from '../edge/tls/terminator.js';
import type { H2Front } from '../edge/http2/front.js';
import { alpnOptions, attachHttp2, http2For } from '../edge/http2/listen.js';
import type { ExtraListenerConfig } from '../edge/tls/schema.js';
import type { Logger } from '../logger.js';
import { createDataServer, type DataHandler as Handler, type Engine, type UpgradeHandler } from './data-server.js';
import type { EngineRequest, EngineResponse } from './engine/types.js';
import { type ConnectionLimits, listenOn, urlHost } from './listener.js';

/** What the data listeners share with server.listen: its handler, limits and timeouts. */
export interface DataListenerDeps {
  engine: Engine;
  handler: Handler;
  /** The WebSocket upgrade handler, as on server.listen. */
  upgrade: UpgradeHandler;
  log: Logger;
  baseDir: string;
  maxHeaderBytes: number;
  timeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
  limits: () => ConnectionLimits;
  /** Answers ACME HTTP-01 challenges on plain listeners, redirecting ones included (true: it answered). */
  challenge?: (req: EngineRequest, res: EngineResponse) => boolean;
}

/** One running server.extraListeners[i]: its server, URL and (TLS) certificates. */
export interface DataListener {
  server: Server;
  url: string;
  config: ExtraListenerConfig;
  tls?: TlsTerminator;
  /** HTTP/2 (ALPN h2, or h2c with prior knowledge), src/edge/http2/. */
  h2?: H2Front;
}

function hstsValue(h: NonNullable<NonNullable<ExtraListenerConfig['tls']>['hsts']>): string {
  return `max-age=${h.maxAgeSeconds}${h.includeSubDomains ? '; includeSubDomains' : ''}${h.preload ? '; preload' : ''}`;
}

/**
 * The redirect to https of a plain listener with redirectToHttps: host, path and query kept. As Traefik's permanent
 * redirectScheme: with 301, a method other than GET gets 308, so a client keeps its method and body (a 301 lets it
 * turn a POST into a GET without its body); with 308 every method gets 308. docs/edge.md.
 */
function redirect(req: EngineRequest, res: EngineResponse, configured: number, port: number | undefined): void {
  const status = req.method === 'GET' ? configured : 308;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (!host || /[\s/\\@]/.test(host)) {
    res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
    res.end('{"message":"Bad Request"}');
    return;
  }
  const url = req.url?.startsWith('/') ? req.url : '/';
  res.writeHead(status, {
    location: `https://${host}${port && port !== 443 ? `:${port}` : ''}${url}`,
    'content-length': 0,
  });
  res.end();
}

const FORBIDDEN = '{"message":"Forbidden"}';

/**
 * Wraps the data handler for one listener: the redirect, HSTS, and the mTLS check of a custom
 * domain (a client without a certificate issued from the domain's truststore gets 403 Forbidden,
 * as API Gateway answers; docs/edge.md).
 */
function listenerHandler(
  cfg: ExtraListenerConfig,
  tls: TlsTerminator | undefined,
  handler: Handler,
  challenge?: DataListenerDeps['challenge'],
): Handler {
  if (cfg.redirectToHttps && !tls)
    return (req, res) => challenge?.(req, res) || redirect(req, res, cfg.redirectToHttps!, cfg.httpsPort);
  if (!tls) return handler;
  return (req, res) => {
    const hsts = tls.config.hsts;
    if (hsts) res.setHeader('strict-transport-security', hstsValue(hsts));
    if (!tls.clientAllowed(req.socket as unknown as TLSSocket)) {
      res.writeHead(403, {
        'content-type': 'application/json',
        'content-length': FORBIDDEN.length,
        'x-amzn-errortype': 'ForbiddenException',
      });
      res.end(FORBIDDEN);
      return;
    }
    handler(req, res);
  };
}

/**
 * The Upgrade handler of one listener: a WebSocket upgrade passes the same gate as a request (the
 * redirect of a plain listener, the mTLS check), answered on the socket by the listener's handler
 * and then closed; an upgrade let through runs the data listener's own handler (src/server/upgrade.ts).
 */
function listenerUpgrade(
  cfg: ExtraListenerConfig,
  tls: TlsTerminator | undefined,
  handler: Handler,
  upgrade: UpgradeHandler,
): UpgradeHandler {
  return (req, socket, head) => {
    const redirects = !!cfg.redirectToHttps && !tls;
    if (!redirects && (!tls || tls.clientAllowed(socket as TLSSocket))) return upgrade(req, socket, head);
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on('finish', () => socket.end());
    handler(req, res);
  };
}

export async function startDataListener(
  cfg: ExtraListenerConfig,
  deps: DataListenerDeps,
  name: string,
): Promise<DataListener> {
  const tls = cfg.tls
    ? new TlsTerminator(cfg.tls, deps.baseDir, (err) =>
        err
          ? deps.log.error(
              { listener: name, error: err.message },
              'certificate reload failed; the previous certificates keep serving',
            )
          : deps.log.info({ listener: name }, 'certificates reloaded'),
      )
    : undefined;
  const handler = listenerHandler(cfg, tls, deps.handler, deps.challenge);
  const http2 = http2For(cfg, !!tls);
  const server = createDataServer({
    engine: deps.engine,
    name,
    log: deps.log,
    handler,
    upgrade: listenerUpgrade(cfg, tls, handler, deps.upgrade),
    maxHeaderBytes: deps.maxHeaderBytes,
    timeouts: deps.timeouts,
    limits: deps.limits,
    ...(tls ? { tls: { ...tls.options(), ...alpnOptions(http2) } } : {}),
  });
  // HTTP/2 in front of the HTTP/1.1 engine: ALPN h2 on TLS, the h2c preface on plain (src/edge/http2/listen.ts).
  const h2 = http2 && attachHttp2(server, http2, !!tls, { ...deps, handler, name });
  // A TLS server takes connections as 'secureConnection'; hardenListener's per-IP cap runs on the TCP 'connection'.
  await listenOn(server, parseListen(cfg.listen));
  tls?.watch();
  const a = server.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://${formatListen({ host: urlHost(a.address), port: a.port })}`;
  return { server, url, config: cfg, ...(tls ? { tls } : {}), ...(h2 ? { h2 } : {}) };
}

/** Starts every server.extraListeners entry; on a failure closes those started and throws. */
export async function startDataListeners(list: ExtraListenerConfig[], deps: DataListenerDeps): Promise<DataListener[]> {
  const started: DataListener[] = [];
  try {
    for (const [i, cfg] of list.entries()) started.push(await startDataListener(cfg, deps, `data[${i}]`));
  } catch (err) {
    for (const l of started) closeDataListener(l);
    throw err;
  }
  return started;
}

/** A config reload: new certificates for each listener still configured the same place; the rest need a restart. */
export function reloadDataListeners(running: DataListener[], next: ExtraListenerConfig[], log: Logger): void {
  running.forEach((l, i) => {
    const n = next[i];
    if (!n || n.listen !== l.config.listen || !!n.tls !== !!l.tls) {
      log.warn(
        { listener: `data[${i}]` },
        'server.extraListeners changes other than tls need a restart; keeping the old listener',
      );
      return;
    }
    try {
      if (l.tls && n.tls) l.tls.reload(n.tls);
      l.config = n;
    } catch (err) {
      log.error(
        { listener: `data[${i}]`, error: (err as Error).message },
        'certificate reload failed; the previous certificates keep serving',
      );
    }
  });
}

export function closeDataListener(l: DataListener): void {
  l.tls?.unwatch();
  l.h2?.close();
  l.server.close();
  l.server.closeAllConnections();
}
