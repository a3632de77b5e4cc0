import type { EngineRequest, EngineResponse } from './engine/types.js';
import { GatewayResponses } from '../gateway-responses.js';
import { GATEWAY_ERRORS, type GatewayErrorDef } from '../kernel/gateway-errors.js';
import { requestIdFor } from '../observability/request-id.js';
import { beginTrace } from '../observability/tracing.js';
import {
  RequestContext,
  CompiledRoute,
  Policy,
  PreRouteHook,
  Mounted,
  RoutePipeline,
  Snapshot,
} from '../pipeline/context.js';
import { normalizeIp } from './client-ip.js';
import { findMountMerged, matchMerged } from '../router/empty-segments.js';
import { framingProblem, isClosing, markClosing, pathProblem } from './request-checks.js';

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
  // A fully qualified name's trailing dot names the same host (`a.example.` is `a.example`).
  if (h.length > 1 && h.charCodeAt(h.length - 1) === 46) h = h.slice(0, -1);
  return h.toLowerCase();
}

function sendBare(req: EngineRequest, res: EngineResponse, status: number, message: string, requestId: string): void {
  markClosing(req.socket);
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
export function handleRequest(
  snapshot: Snapshot,
  req: EngineRequest,
  res: EngineResponse,
  localPort: number,
): RequestContext | undefined {
  // A request pipelined behind one the gateway refused (and is closing the connection for): ignored.
  if (isClosing(req.socket)) return undefined;
  const requestId = requestIdFor(snapshot, req);
  let url = req.url ?? '/';
  let authority = req.headers.host ?? '';
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
  if (!authority && req.httpVersionMinor === 1 && req.httpVersionMajor === 1) {
    sendBare(req, res, 400, 'Bad Request', requestId);
    return undefined;
  }
  if (url.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (RFC 9112 §3.2.2): its authority must agree with Host.
    const m = /^https?:\/\/([^/?#]*)([^#]*)$/i.exec(url);
    if (!m || (authority && hostOf(m[1] as string) !== hostOf(authority))) {
      sendBare(req, res, 400, 'Bad Request', requestId);
      return undefined;
    }
    authority = m[1] as string;
    url = m[2] || '/';
    if (url.charCodeAt(0) !== 47) url = `/${url}`;
  }
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  // Duplicate Host, obfuscated Transfer-Encoding, ambiguous paths: 400 and close (docs/security.md).
  // Empty segments (`//`) pass only into an API with `emptySegments: aws` (src/router/empty-segments.ts).
  const emptySegments = rawPath.includes('//');
  if (framingProblem(req) !== undefined || pathProblem(rawPath, true) !== undefined) {
    sendBare(req, res, 400, 'Bad Request', requestId);
    return undefined;
  }
  const host = hostOf(authority);
  const aws = emptySegments ? findMountMerged(snapshot.mounts, host, rawPath) : undefined;
  if (emptySegments && aws?.match.value.api.emptySegments !== 'aws') {
    sendBare(req, res, 400, 'Bad Request', requestId);
    return undefined;
  }
  const peerIp = normalizeIp(req.socket.remoteAddress ?? '');
  const xff = req.headers['x-forwarded-for'];
  const ctx = new RequestContext(req, res, snapshot, {
    requestId,
    peerIp,
    clientIp: snapshot.trustedProxies.clientIp(peerIp, Array.isArray(xff) ? xff.join(',') : xff),
    host,
    rawPath: aws ? aws.rawPath : rawPath,
    rawQuery,
    localPort,
  });
  if (snapshot.config.observability.tracing.otlp) beginTrace(ctx);

  const mount = aws ? aws.match : snapshot.mounts.find(host, rawPath);
  if (!mount) {
    sendError(ctx, notFoundFor(snapshot.mounts.candidates(host)), undefined);
    return ctx;
  }
  const { api, stage } = mount.value;
  ctx.api = api;
  ctx.stage = stage;
  ctx.restPath = mount.rest;
  ctx.basePathMatched = mount.value.basePath;

  const maxBody = snapshot.config.server.limits.maxBodyBytes;
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) > maxBody) {
    markClosing(req.socket);
    // Closed even when the engine already read the whole body (the portico engine parses a small one
    // with the head): a client that sends more than the limit is not kept.
    sendError(ctx, GATEWAY_ERRORS.REQUEST_TOO_LARGE, api.responses, { connection: 'close' });
    return ctx;
  }
  if (stage.preRoute.length) runPreRoute(ctx, 0);
  else routeAndRun(ctx);
  return ctx;
}

/** Pre-route hooks (CORS preflight, WAF) in order; each may answer or end the request. */
function runPreRoute(ctx: RequestContext, from: number): void {
  const hooks = ctx.stage!.preRoute;
  for (let i = from; i < hooks.length; i++) {
    const r = (hooks[i] as PreRouteHook).onRequest(ctx);
    if (r === false) continue;
    if (r === true) return;
    if (r instanceof Promise) {
      r.then(
        (v) => {
          if (v === true) return;
          if (v === false) runPreRoute(ctx, i + 1);
          else ctx.reply(v);
        },
        (err: unknown) => failed(ctx, err),
      );
      return;
    }
    ctx.reply(r);
    return;
  }
  routeAndRun(ctx);
}

function routeAndRun(ctx: RequestContext): void {
  const api = ctx.api!;
  const match =
    api.emptySegments === 'aws' && ctx.restPath.includes('//')
      ? matchMerged(api.trie, ctx.method, ctx.restPath, greedyName)
      : api.trie.match(ctx.method, ctx.restPath);
  if (match) {
    ctx.route = match.value;
    ctx.params = match.params;
  } else if (api.defaultRoute) {
    ctx.route = api.defaultRoute;
  } else {
    sendError(
      ctx,
      api.type === 'rest' ? GATEWAY_ERRORS.ROUTE_NOT_FOUND : GATEWAY_ERRORS.HTTP_ROUTE_NOT_FOUND,
      api.responses,
    );
    return;
  }
  const pipeline = ctx.route.pipelines[ctx.stage!.index] as RoutePipeline;
  ctx.pipeline = pipeline;
  if (pipeline.policies.length === 0) pipeline.integration.invoke(ctx);
  else runPolicies(ctx, pipeline, 0);
}

/**
 * The route's policies by phase. Synchronous policies run in one loop; the first that returns a
 * promise continues the chain when it settles. A Reply ends the request.
 */
function runPolicies(ctx: RequestContext, pipeline: RoutePipeline, from: number): void {
  const policies = pipeline.policies;
  for (let i = from; i < policies.length; i++) {
    const r = (policies[i] as Policy).access(ctx);
    if (r === undefined) continue;
    if (r instanceof Promise) {
      r.then(
        (v) => {
          if (v === true) return;
          if (v) ctx.reply(v);
          else runPolicies(ctx, pipeline, i + 1);
        },
        (err: unknown) => failed(ctx, err),
      );
      return;
    }
    if (r !== true) ctx.reply(r);
    return;
  }
  if (!ctx.res.destroyed) pipeline.integration.invoke(ctx);
}

/** A policy threw: log it and answer 500; never leave the request hanging. */
function failed(ctx: RequestContext, err: unknown): void {
  ctx.snapshot.runtime.log.error({ err, requestId: ctx.requestId }, 'policy failed');
  if (!ctx.res.destroyed) ctx.sendError(GATEWAY_ERRORS.INTERNAL_ERROR, ctx.api!.responses);
}

/** The name of a route's greedy parameter (`{proxy+}` → "proxy"), if it has one. */
export function greedyName(route: CompiledRoute): string | undefined {
  const last = route.key.segments[route.key.segments.length - 1];
  return last?.kind === 'greedy' ? last.name : undefined;
}

/** A REST-only host answers unknown paths like AWS REST (403); otherwise 404. */
function notFoundFor(candidates: readonly Mounted[]): GatewayErrorDef {
  return candidates.length > 0 && candidates.every((m) => m.api.type === 'rest')
    ? GATEWAY_ERRORS.ROUTE_NOT_FOUND
    : GATEWAY_ERRORS.HTTP_ROUTE_NOT_FOUND;
}

function sendError(
  ctx: RequestContext,
  def: GatewayErrorDef,
  responses: GatewayResponses | undefined,
  headers?: Record<string, string>,
): void {
  const r = responses ?? (def === GATEWAY_ERRORS.ROUTE_NOT_FOUND ? REST_DEFAULTS : HTTP_DEFAULTS);
  ctx.sendError(def, r, headers);
}
