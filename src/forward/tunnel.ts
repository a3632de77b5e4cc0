import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import type { RequestContext } from '../pipeline/context.js';
import type { EngineRequest } from '../server/engine/types.js';
import { buildUpstreamHeaders } from './headers.js';
import { HOP_BY_HOP } from './hop-by-hop.js';
import type { Upstream } from './upstream.js';

/** The client socket and its first bytes after the head, for a request that asked to upgrade. */
export interface UpgradeRequest {
  socket: Socket;
  head: Buffer;
  /** Longest time neither side sends a byte before both are closed (0: none). */
  idleMs: number;
}

/** Upgraded connections in this process: open now, and opened since start (metrics read them). */
export const TUNNELS = { open: 0, opened: 0 };

const UPGRADES = new WeakMap<EngineRequest, UpgradeRequest>();

/** Marks `req` as a WebSocket upgrade request (src/server/upgrade.ts). */
export function markUpgrade(req: EngineRequest, u: UpgradeRequest): void {
  UPGRADES.set(req, u);
}

export function upgradeOf(req: EngineRequest): UpgradeRequest | undefined {
  return UPGRADES.get(req);
}

/**
 * A WebSocket upgrade through http_proxy: the handshake is sent to one target (Sec-WebSocket-* kept,
 * Connection/Upgrade set again), its 101 is relayed to the client with the gateway's headers, then
 * bytes are piped both ways until either side closes, errs or the connection is idle for idleMs.
 * A refusal by the upstream (any other status) is relayed as a normal response; no upstream is a
 * gateway response. The access log and metrics see the request once, when the tunnel closes
 * (status 101, responseLength = bytes sent to the client).
 */
export function tunnel(ctx: RequestContext, rt: Upstream, u: UpgradeRequest, timeoutMs: number): void {
  const ep = rt.pick(rt.hashKey(ctx), undefined);
  if (!ep) {
    ctx.integrationError = new Error(`upstream "${rt.name}" has no available target`);
    ctx.sendError(GATEWAY_ERRORS.UPSTREAM_UNAVAILABLE, ctx.api!.responses);
    return;
  }
  const flat = buildUpstreamHeaders(ctx);
  const headers: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) headers.push([flat[i] as string, flat[i + 1] as string]);
  if (ep.hostHeader) headers.push(['host', ep.hostHeader]);
  headers.push(['connection', 'Upgrade'], ['upgrade', ctx.req.headers.upgrade ?? 'websocket']);
  const origin = new URL(ep.origin);
  const send = origin.protocol === 'https:' ? httpsRequest : httpRequest;
  ctx.integrationStartMs = Date.now();
  ctx.upstreamOrigin = ep.origin;
  const upReq = send({
    protocol: origin.protocol,
    hostname: origin.hostname.replace(/^\[|\]$/g, ''),
    port: origin.port,
    method: 'GET',
    path: rt.path(ctx, ep),
    headers: headers.flat(),
    agent: false,
    timeout: timeoutMs,
  });
  const client = u.socket;
  const onClientGone = () => upReq.destroy();
  client.once('close', onClientGone);
  upReq.on('timeout', () => upReq.destroy(Object.assign(new Error('upgrade timed out'), { code: 'ETIMEDOUT' })));
  upReq.on('error', (err: NodeJS.ErrnoException) => {
    client.off('close', onClientGone);
    ctx.integrationError = err;
    ctx.integrationEndMs = Date.now();
    if (ctx.res.headersSent || client.destroyed) client.destroy();
    else
      ctx.sendError(
        err.code === 'ETIMEDOUT' ? GATEWAY_ERRORS.INTEGRATION_TIMEOUT : GATEWAY_ERRORS.INTEGRATION_FAILURE,
        ctx.api!.responses,
      );
  });
  upReq.on('response', (upRes) => {
    // Refused by the upstream: its answer goes to the client as any response would.
    client.off('close', onClientGone);
    ctx.integrationStatus = upRes.statusCode ?? 502;
    ctx.integrationEndMs = Date.now();
    ctx.status = ctx.integrationStatus;
    const out = ctx.finalizeHeaders(relayedHeaders(upRes));
    out.connection = 'close';
    ctx.res.writeHead(ctx.status, out);
    // The refusal's body is relayed as it came, with backpressure (the response is an EngineResponse, not a stream).
    upRes.on('data', (c: Buffer) => {
      ctx.responseBytes += c.length;
      if (!ctx.res.write(c)) {
        upRes.pause();
        ctx.res.once('drain', () => upRes.resume());
      }
    });
    upRes.on('end', () => ctx.res.end());
  });
  upReq.on('upgrade', (upRes, upSocket: Socket, upHead: Buffer) => {
    client.off('close', onClientGone);
    ctx.integrationStatus = 101;
    ctx.status = 101;
    // The handshake's timeout no longer applies: idleness is websocketIdleMs's.
    upSocket.setTimeout(0);
    if (client.destroyed) {
      upSocket.destroy();
      return;
    }
    const out = ctx.finalizeHeaders(relayedHeaders(upRes));
    let head = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n';
    head += `Upgrade: ${upRes.headers.upgrade ?? 'websocket'}\r\n`;
    for (const [k, v] of Object.entries(out)) {
      for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${String(one)}\r\n`;
    }
    // The ServerResponse never writes from here: the socket belongs to the tunnel.
    client.write(`${head}\r\n`);
    pipeBoth(ctx, client, upSocket, u, upHead);
  });
  upReq.end();
}

function relayedHeaders(upRes: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(upRes.headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

function pipeBoth(ctx: RequestContext, client: Socket, up: Socket, u: UpgradeRequest, upHead: Buffer): void {
  TUNNELS.open++;
  TUNNELS.opened++;
  const closeBoth = () => {
    if (!ctx.integrationEndMs) {
      ctx.integrationEndMs = Date.now();
      TUNNELS.open--;
    }
    client.destroy();
    up.destroy();
  };
  for (const s of [client, up]) {
    s.on('error', closeBoth);
    s.on('close', closeBoth);
    s.on('end', closeBoth);
    s.setNoDelay(true);
  }
  up.on('data', (c: Buffer) => (ctx.responseBytes += c.length));
  if (upHead.length) {
    ctx.responseBytes += upHead.length;
    client.write(upHead);
  }
  if (u.head.length) up.write(u.head);
  // Activity on the client socket is traffic in either direction (everything from the upstream is written to it).
  if (u.idleMs > 0) client.setTimeout(u.idleMs, closeBoth);
  up.pipe(client);
  client.pipe(up);
  client.resume();
}
