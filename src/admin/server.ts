import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ConfigError } from '../config/errors.js';
import type { Logger } from '../logger.js';
import { routeRows } from '../pipeline/route-table.js';
import type { Snapshot } from '../pipeline/snapshot.js';
import { tokenMatches } from './token.js';

export interface AdminTarget {
  readonly snapshot: Snapshot;
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

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * The admin API on its own listener (loopback by default). Every endpoint requires
 * `Authorization: Bearer <token>`, compared in constant time. It never rewrites the config file.
 *   GET  /status   revision, config file, last reload
 *   GET  /routes   api/stage/method/path → integration
 *   POST /reload   load and swap the config; 400 with the precise errors if invalid
 */
export function createAdminServer(target: AdminTarget, token: string, log: Logger): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (!tokenMatches(presented, token)) {
      json(res, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer realm="portico-admin"' });
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    if (route === 'GET /status') return json(res, 200, target.status());
    if (route === 'GET /routes') return json(res, 200, routeRows(target.snapshot));
    if (route === 'POST /reload') {
      target.reload('admin').then(
        (r) => json(res, r.ok ? 200 : 400, r),
        (err: Error) => {
          log.error({ err }, 'reload failed');
          json(res, 500, { ok: false, error: err.message });
        },
      );
      return;
    }
    const known = ['GET /status', 'GET /routes', 'POST /reload'];
    json(res, 404, { message: `no admin endpoint ${route}; known: ${known.join(', ')}` });
  });
}
