import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { markUpgrade } from '../forward/tunnel.js';
import type { Logger } from '../logger.js';
import type { RequestContext, Snapshot } from '../pipeline/context.js';
import { handleRequest } from './handler.js';

export interface UpgradeDeps {
  /** The snapshot a request runs in (the canary pick included). */
  snapshot(req: IncomingMessage): Snapshot;
  port(): number;
  log: Logger;
  /** The requestDone hooks, run once when the upgraded connection (or the refusal) closes. */
  done(): readonly ((ctx: RequestContext) => void)[];
  /** Upgraded sockets open now: node:http no longer tracks them, so close() ends them at the drain deadline. */
  open: Set<Socket>;
  /** The slow-client watch: a tunnel whose client stops reading is cut after sendMs (server/slow-clients.ts). */
  watch?: { add(req: IncomingMessage, res: ServerResponse): void; remove(res: ServerResponse): void };
}

/**
 * The handler of node:http's 'upgrade' event, `(req, socket, head)`, so either HTTP engine can call it.
 * The request runs the same path as any other (WAF, authorizers, keys, throttling; src/server/handler.ts)
 * with a ServerResponse on the socket, so a refusal is the normal gateway response (then the connection
 * closes). An http_proxy integration sees the mark (forward/tunnel.ts) and tunnels a WebSocket; other
 * integrations answer as for any request. Only `Upgrade: websocket` is tunnelled; another protocol
 * (h2c) is served as a plain HTTP/1.1 request.
 */
export function createUpgradeHandler(deps: UpgradeDeps): (req: IncomingMessage, socket: Socket, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    deps.open.add(socket);
    const res = new ServerResponse(req);
    deps.watch?.add(req, res);
    socket.once('close', () => {
      deps.open.delete(socket);
      deps.watch?.remove(res);
    });
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on('finish', () => socket.end());
    req.on('error', () => socket.destroy());
    try {
      const snapshot = deps.snapshot(req);
      const ws = /^websocket$/i.test(req.headers.upgrade ?? '') && req.method === 'GET';
      if (ws) markUpgrade(req, { socket, head, idleMs: snapshot.config.server.timeouts.websocketIdleMs });
      const ctx = handleRequest(snapshot, req, res, deps.port());
      socket.once('close', () => {
        if (!ctx) return;
        ctx.clientCloseHook?.onClientClose();
        for (const hook of deps.done()) hook(ctx);
      });
    } catch (err) {
      deps.log.error({ err }, 'upgrade handler failed');
      socket.destroy();
    }
  };
}
