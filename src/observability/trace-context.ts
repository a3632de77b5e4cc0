import { randomFillSync } from 'node:crypto';
import type { RequestContext } from '../pipeline/context.js';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): parse the client's `traceparent`, and
 * give the upstream a child of it (same trace id, our span id). A missing or invalid header starts
 * a new trace. Always on; costs two short hex strings per proxied request.
 */

export interface TraceParent {
  traceId: string;
  parentId: string;
  flags: string;
}

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** `version-traceid-parentid-flags`; undefined if invalid (§3.2.2). Future versions may append fields. */
export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  if (!header || header.length < 55) return undefined;
  const h = header.trim();
  if (h.charCodeAt(2) !== 45 || h.charCodeAt(35) !== 45 || h.charCodeAt(52) !== 45) return undefined;
  const version = h.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return undefined;
  if (version === '00' ? h.length !== 55 : h.length > 55 && h.charCodeAt(55) !== 45) return undefined;
  const traceId = h.slice(3, 35);
  const parentId = h.slice(36, 52);
  const flags = h.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(parentId) || !HEX.test(flags)) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, flags };
}

// Random ids come from a pooled buffer: one randomFillSync per 512 span ids instead of one per id.
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const s = POOL.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return s;
}

export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN) id = randomHex(8);
  return id;
}

export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE) id = randomHex(16);
  return id;
}

/**
 * Fills ctx.traceId/spanId/parentSpanId/traceFlags once per request. `sampleNew` decides the
 * sampled flag of a new trace (export on: the sample ratio; off: not sampled).
 */
export function ensureTrace(ctx: RequestContext, sampleNew?: () => boolean): void {
  if (ctx.traceId) return;
  const h = ctx.req.headers.traceparent;
  const tp = parseTraceparent(Array.isArray(h) ? undefined : h);
  if (tp) {
    ctx.traceId = tp.traceId;
    ctx.parentSpanId = tp.parentId;
    // Only the sampled bit is defined (§3.2.2.5); other bits are not passed on.
    ctx.traceFlags = (parseInt(tp.flags, 16) & 1) === 1 ? '01' : '00';
  } else {
    ctx.traceId = newTraceId();
    ctx.traceFlags = sampleNew?.() ? '01' : '00';
  }
  ctx.spanId = newSpanId();
}

/** The traceparent the upstream receives: our span as its parent. */
export function childTraceparent(ctx: RequestContext): string {
  ensureTrace(ctx);
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.traceFlags}`;
}

/** The client's tracestate, passed on only when its traceparent was valid (§3.3). */
export function forwardedTracestate(ctx: RequestContext): string | undefined {
  if (!ctx.parentSpanId) return undefined;
  const ts = ctx.req.headers.tracestate;
  return Array.isArray(ts) ? ts.join(',') : ts;
}

/**
 * Records a phase span (authorizer, cache, ...) on a request whose trace is being exported. Cheap
 * no-op otherwise: `ctx.spans` exists only for sampled requests while OTLP export is on.
 */
export function recordSpan(
  ctx: RequestContext,
  name: string,
  startMs: number,
  endMs = Date.now(),
  attributes?: Record<string, string | number>,
): void {
  ctx.spans?.push(attributes ? { name, startMs, endMs, attributes } : { name, startMs, endMs });
}
