import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { formatListen, parseListen } from '../config/listen.js';
import { TlsTerminator } from '../edge/tls/terminator.js';
import type { H2Front } from '../edge/http2/front.js';
import { alpnOptions, attachHttp2, http2For } from '../edge/http2/listen.js';
import type { ExtraListenerConfig } from '../edge/tls/schema.js';
import type { Logger } from '../logger.js';
import { type ConnectionLimits, handleExpect, hardenListener, listenOn, timeoutOptions, urlHost } from './listener.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the data listeners share with server.listen: its handler, limits and timeouts. */
export interface DataListenerDeps {
  handler: Handler;
  log: Logger;
  baseDir: string;
  maxHeaderBytes: number;
  timeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
  limits: () => ConnectionLimits;
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

/** The 301/308 to https of a plain listener with redirectToHttps: host, path and query kept. */
function redirect(req: IncomingMessage, res: ServerResponse, status: number, port: number | undefined): void {
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
function listenerHandler(cfg: ExtraListenerConfig, tls: TlsTerminator | undefined, handler: Handler): Handler {
  if (cfg.redirectToHttps && !tls) return (req, res) => redirect(req, res, cfg.redirectToHttps!, cfg.httpsPort);
  if (!tls) return handler;
  return (req, res) => {
    const hsts = tls.config.hsts;
    if (hsts) res.setHeader('strict-transport-security', hstsValue(hsts));
    if (!tls.clientAllowed(req.socket as TLSSocket)) {
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
  const opts = { maxHeaderSize: deps.maxHeaderBytes, ...timeoutOptions(deps.timeouts), requireHostHeader: false };
  const handler = listenerHandler(cfg, tls, deps.handler);
  const http2 = http2For(cfg, !!tls);
  const server = (
    tls
      ? createHttpsServer({ ...opts, ...tls.options(), ...alpnOptions(http2) }, handler)
      : createHttpServer(opts, handler)
  ) as Server;
  const h2 = http2 && attachHttp2(server, http2, !!tls, { ...deps, handler, name });
  if (tls)
    server.on('tlsClientError', (err: Error) =>
      deps.log.debug({ listener: name, err: err.message }, 'TLS handshake failed'),
    );
  handleExpect(server);
  hardenListener(server, name, deps.log, deps.limits);
  // https.Server takes connections as 'secureConnection'; hardenListener's per-IP cap runs on the TCP 'connection'.
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
