import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GATEWAY_ERRORS, type GatewayErrorDef, GatewayResponses } from '../gateway-responses.js';
import { RequestContext } from '../pipeline/context.js';
import type { Mounted, Snapshot } from '../pipeline/snapshot.js';
import { normalizeIp } from './client-ip.js';

const REST_DEFAULTS = GatewayResponses.defaults('rest');
const HTTP_DEFAULTS = GatewayResponses.defaults('http');

/** Lower-case host without port, from a Host header or an absolute-form authority. */
export function hostOf(authority: string): string {
  let h = authority;
  if (h.startsWith('[')) h = h.slice(0, h.indexOf(']') + 1);
  else {
    const colon = h.indexOf(':');
    if (colon !== -1) h = h.slice(0, colon);
  }
  return h.toLowerCase();
}

function sendBare(res: ServerResponse, status: number, message: string, requestId: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    'x-request-id': requestId,
    connection: 'close',
  });
  res.end(body);
}

/**
 * The request path, in order: parse → match (host/base path → API → stage → route) → phases →
 * integration. Every exit that is not the integration's is a gateway response from the catalogue.
 */
export function handleRequest(snapshot: Snapshot, req: IncomingMessage, res: ServerResponse, localPort: number): RequestContext | undefined {
  const requestId = randomUUID();
  let url = req.url ?? '/';
  let authority = req.headers.host ?? '';
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
  if (!authority && req.httpVersionMinor === 1 && req.httpVersionMajor === 1) {
    sendBare(res, 400, 'Bad Request', requestId);
    return undefined;
  }
  if (url.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (RFC 9112 §3.2.2): its authority must agree with Host.
    const m = /^https?:\/\/([^/?#]*)([^#]*)$/i.exec(url);
    if (!m || (authority && hostOf(m[1] as string) !== hostOf(authority))) {
      sendBare(res, 400, 'Bad Request', requestId);
      return undefined;
    }
    authority = m[1] as string;
    url = m[2] || '/';
    if (url.charCodeAt(0) !== 47) url = `/${url}`;
  }
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  const peerIp = normalizeIp(req.socket.remoteAddress ?? '');
  const xff = req.headers['x-forwarded-for'];
  const host = hostOf(authority);
  const ctx = new RequestContext(req, res, snapshot, {
    requestId,
    peerIp,
    clientIp: snapshot.trustedProxies.clientIp(peerIp, Array.isArray(xff) ? xff.join(',') : xff),
    host,
    rawPath,
    rawQuery,
    localPort,
  });

  const mount = snapshot.mounts.find(host, rawPath);
  if (!mount) {
    sendError(ctx, notFoundFor(snapshot.mounts.candidates(host)), undefined);
    return ctx;
  }
  const { api, stage } = mount.value;
  ctx.api = api;
  ctx.stage = stage;
  ctx.restPath = mount.rest;

  const maxBody = snapshot.config.server.limits.maxBodyBytes;
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) > maxBody) {
    sendError(ctx, GATEWAY_ERRORS.REQUEST_TOO_LARGE, api.responses);
    return ctx;
  }

  const match = api.trie.match(ctx.method, mount.rest);
  if (match) {
    ctx.route = match.value;
    ctx.params = match.params;
  } else if (api.defaultRoute) {
    ctx.route = api.defaultRoute;
  } else {
    sendError(ctx, api.type === 'rest' ? GATEWAY_ERRORS.ROUTE_NOT_FOUND : GATEWAY_ERRORS.HTTP_ROUTE_NOT_FOUND, api.responses);
    return ctx;
  }
  (ctx.route.integrations[stage.index] as (typeof ctx.route.integrations)[number]).invoke(ctx);
  return ctx;
}

/** A REST-only host answers unknown paths like AWS REST (403); otherwise 404. */
function notFoundFor(candidates: readonly Mounted[]): GatewayErrorDef {
  return candidates.length > 0 && candidates.every((m) => m.api.type === 'rest')
    ? GATEWAY_ERRORS.ROUTE_NOT_FOUND
    : GATEWAY_ERRORS.HTTP_ROUTE_NOT_FOUND;
}

function sendError(ctx: RequestContext, def: GatewayErrorDef, responses: GatewayResponses | undefined): void {
  const r = responses ?? (def === GATEWAY_ERRORS.ROUTE_NOT_FOUND ? REST_DEFAULTS : HTTP_DEFAULTS);
  ctx.sendError(def, r);
}
