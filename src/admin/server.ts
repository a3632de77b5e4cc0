import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ConfigError } from '../config/errors.js';
import type { Logger } from '../logger.js';
import type { RuntimeDeps } from '../pipeline/policy.js';
import type { Snapshot } from '../pipeline/snapshot.js';
import { ADMIN_ROUTES } from './routes.js';
import { tokenMatches } from './token.js';

export interface AdminTarget {
  readonly snapshot: Snapshot;
  readonly runtime: RuntimeDeps;
  status(): Record<string, unknown>;
  reload(reason: string): Promise<ReloadResult>;
}

export interface ReloadResult {
  ok: boolean;
  changed: boolean;
  revision: number;
  error?: string;
  issues?: ConfigError['issues'];
}

/** An admin API error with its status: thrown by handlers, answered as {"message": ...}. */
export class AdminError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface AdminRequest {
  req: IncomingMessage;
  target: AdminTarget;
  /** Values of `:name` segments of the route pattern. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (parsed on demand; 400 if it is not JSON). */
  body(): Promise<unknown>;
}

export interface AdminResponse {
  status?: number;
  body?: unknown;
  /** Text instead of JSON (e.g. Prometheus exposition). */
  text?: string;
  contentType?: string;
}

/** One admin endpoint: `GET /keys/:id`. Handlers return what to answer, or throw AdminError. */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** One line for the endpoint list. */
  description: string;
  /** Served without the bearer token (only for things like /metrics scrapes; off by default). A function reads the current config. */
  public?: boolean | ((target: AdminTarget) => boolean);
  handle(r: AdminRequest): Promise<AdminResponse> | AdminResponse;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const a = path.split('/');
  if (p.length !== a.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    if (seg.startsWith(':')) {
      if (!a[i]) return undefined;
      params[seg.slice(1)] = decodeURIComponent(a[i] as string);
    } else if (seg !== a[i]) return undefined;
  }
  return params;
}

const MAX_BODY = 1024 * 1024;

function readJson(req: IncomingMessage): Promise<unknown> {
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
      const text = Buffer.concat(chunks).toString('utf8');
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

/**
 * The admin API on its own listener (loopback by default). Every endpoint requires
 * `Authorization: Bearer <token>`, compared in constant time. It never rewrites the config file.
 * Endpoints are listed in src/admin/routes.ts, one module per feature.
 */
export function createAdminServer(target: AdminTarget, token: string, log: Logger): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    let route: AdminRoute | undefined;
    let params: Record<string, string> | undefined;
    let pathKnown = false;
    for (const r of ADMIN_ROUTES) {
      const m = matchPath(r.path, url.pathname);
      if (!m) continue;
      pathKnown = true;
      if (r.method === req.method) {
        route = r;
        params = m;
        break;
      }
    }
    const isPublic = typeof route?.public === 'function' ? route.public(target) : route?.public;
    if (!isPublic) {
      const auth = req.headers.authorization;
      const presented = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (!tokenMatches(presented, token)) {
        send(res, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer realm="portico-admin"' });
        return;
      }
    }
    if (!route || !params) {
      const status = pathKnown ? 405 : 404;
      send(res, status, {
        message: `no admin endpoint ${req.method} ${url.pathname}`,
        endpoints: ADMIN_ROUTES.map((r) => `${r.method} ${r.path}`),
      });
      return;
    }
    const request: AdminRequest = { req, target, params, query: url.searchParams, body: () => readJson(req) };
    Promise.resolve()
      .then(() => (route as AdminRoute).handle(request))
      .then(
        (out) => {
          if (out.text !== undefined) {
            res.writeHead(out.status ?? 200, {
              'content-type': out.contentType ?? 'text/plain; charset=utf-8',
              'content-length': Buffer.byteLength(out.text),
            });
            res.end(out.text);
          } else send(res, out.status ?? 200, out.body ?? {});
        },
        (err: Error) => {
          if (err instanceof AdminError) send(res, err.status, { message: err.message });
          else {
            log.error({ err, route: `${req.method} ${url.pathname}` }, 'admin request failed');
            send(res, 500, { message: err.message });
          }
        },
      );
  });
}
