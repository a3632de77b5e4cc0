import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { exceedsJsonDepth } from '../pipeline/json-limits.js';
import { AdminError, type AdminRequest, type AdminRoute, type AdminTarget } from './types.js';

export {
  AdminError,
  type AdminRequest,
  type AdminResponse,
  type AdminRoute,
  type AdminTarget,
  type Readiness,
  type ReloadResult,
} from './types.js';
import {
  answerFailure,
  type ConnectionLimits,
  hardenListener,
  type ListenerTimeouts,
  timeoutOptions,
} from '../server/listener.js';
import { tokenMatches } from './token.js';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Matches undecoded segments; `:name` values are returned undecoded (decoded after the token check). */
function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const a = path.split('/');
  if (p.length !== a.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    if (seg.startsWith(':')) {
      if (!a[i]) return undefined;
      params[seg.slice(1)] = a[i] as string;
    } else if (seg !== a[i]) return undefined;
  }
  return params;
}

/**
 * The path and query of a request target without `new URL()` (which throws on `//[`, `http://a:99999/`
 * and the like). Origin-form and absolute-form; anything else (`*`, `a:1`) is undefined (400).
 */
function parseTarget(raw: string): { path: string; query: URLSearchParams } | undefined {
  let target = raw;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)$/i.exec(target);
    if (!m) return undefined;
    target = m[1] || '/';
    if (target.charCodeAt(0) !== 47) target = `/${target}`;
  }
  const q = target.indexOf('?');
  return {
    path: q === -1 ? target : target.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : target.slice(q + 1)),
  };
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    try {
      params[k] = decodeURIComponent(v);
    } catch {
      throw new AdminError(400, `path parameter ${k} is not valid percent-encoding`);
    }
  }
  return params;
}

const MAX_BODY = 1024 * 1024;

function readJson(req: IncomingMessage, maxJsonDepth: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new AdminError(413, 'admin request body over 1 MiB'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      if (exceedsJsonDepth(bytes, maxJsonDepth))
        return reject(
          new AdminError(400, `request body nests deeper than ${maxJsonDepth} (server.limits.maxJsonDepth)`),
        );
      const text = bytes.toString('utf8');
      if (!text) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new AdminError(400, 'request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

export interface AdminServerOptions {
  /** Client timeouts (server.timeouts): the header timeout runs from accept, as on the data listener. */
  timeouts: ListenerTimeouts;
  /** admin.maxConnections, read again for each connection. */
  limits: () => ConnectionLimits;
  /** Every endpoint: the core's and each feature's, from the composition root (src/features.ts). */
  routes: readonly AdminRoute[];
  /** Serve every route without the token: the metrics listener, whose routes are only the `metricsListener` ones. */
  open?: boolean;
  /** Listener name in logs ('admin', 'metrics'). */
  name?: 'admin' | 'metrics';
}

/**
 * The admin API on its own listener (loopback by default). Every endpoint requires
 * `Authorization: Bearer <token>`, compared in constant time. It never rewrites the config file.
 * Endpoints come from the feature manifests, listed in src/features.ts.
 *
 * Each request runs inside one error boundary (`serve` is async, so a synchronous throw is a
 * rejection too): an AdminError answers its status, anything else is logged and answers 500. The
 * token is checked right after path matching, before anything route-specific (parameter decoding,
 * the body, the handler), so unauthenticated input reaches no handler.
 */
export function createAdminServer(target: AdminTarget, token: string, log: Logger, opts: AdminServerOptions): Server {
  const server = createServer(timeoutOptions(opts.timeouts), (req: IncomingMessage, res: ServerResponse) => {
    serve(target, opts.open ? undefined : token, opts.routes, req, res).catch((err: unknown) => {
      if (err instanceof AdminError) return answerFailure(res, err.status, err.message);
      log.error({ err, method: req.method, url: req.url }, 'admin request failed');
      answerFailure(res, 500, (err as Error)?.message ?? 'Internal server error');
    });
  });
  hardenListener(server, opts.name ?? 'admin', log, opts.limits);
  return server;
}

async function serve(
  target: AdminTarget,
  /** undefined: no token asked (the metrics listener). */
  token: string | undefined,
  routes: readonly AdminRoute[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = parseTarget(req.url ?? '/');
  let route: AdminRoute | undefined;
  let rawParams: Record<string, string> | undefined;
  let pathKnown = false;
  for (const r of url ? routes : []) {
    const m = matchPath(r.path, (url as { path: string }).path);
    if (!m) continue;
    pathKnown = true;
    if (r.method === req.method) {
      route = r;
      rawParams = m;
      break;
    }
  }
  const isPublic = typeof route?.public === 'function' ? route.public(target) : route?.public;
  if (!isPublic && token !== undefined) {
    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (!tokenMatches(presented, token)) {
      send(res, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer realm="portico-admin"' });
      return;
    }
  }
  if (!url) throw new AdminError(400, 'malformed request target');
  if (!route || !rawParams) {
    const status = pathKnown ? 405 : 404;
    send(res, status, {
      message: `no admin endpoint ${req.method} ${url.path}`,
      endpoints: routes.map((r) => `${r.method} ${r.path}`),
    });
    return;
  }
  const request: AdminRequest = {
    req,
    target,
    params: decodeParams(rawParams),
    query: url.query,
    body: () => readJson(req, target.snapshot.config.server.limits.maxJsonDepth),
  };
  const out = await route.handle(request);
  if (out.text !== undefined) {
    res.writeHead(out.status ?? 200, {
      'content-type': out.contentType ?? 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(out.text),
      ...out.headers,
    });
    res.end(out.text);
  } else send(res, out.status ?? 200, out.body ?? {}, out.headers);
}
