import type { Logger } from '../logger.js';
import type { RequestContext, Snapshot } from '../pipeline/context.js';
import type { Service } from '../services.js';
import { defineService } from '../kernel/services.js';
import { finishTime } from './finish.js';
import { type AttrValue, OtlpExporter } from './otlp.js';
import type { OtlpConfig } from './schema.js';
import { ensureTrace, newSpanId } from './trace-context.js';

/**
 * Span export. Propagation (trace-context.ts) is always on; this service exists only to export. With
 * `observability.tracing.otlp` unset, no hook is registered and no span object is ever made.
 *
 * Spans of one request: the server span (the whole request), the integration's client span, whose
 * id is the parent the upstream sees in its traceparent, and phase spans (authorizer, cache) that
 * policies record with recordSpan().
 */
export const TRACING = defineService<TracingService>('tracing');

export class TracingService implements Service {
  #hooks: ((ctx: RequestContext) => void)[];
  #log: Logger;
  #cfg: OtlpConfig | undefined;
  #exporter: OtlpExporter | undefined;

  constructor(hooks: ((ctx: RequestContext) => void)[], log: Logger, cfg: OtlpConfig | undefined) {
    this.#hooks = hooks;
    this.#log = log;
    this.configure(cfg);
  }

  get exporter(): OtlpExporter | undefined {
    return this.#exporter;
  }

  configure(cfg: OtlpConfig | undefined): void {
    if (JSON.stringify(cfg) === JSON.stringify(this.#cfg)) return;
    const old = this.#exporter;
    this.#cfg = cfg;
    this.#exporter = cfg ? new OtlpExporter(cfg, this.#log) : undefined;
    if (old) void old.flush();
    const i = this.#hooks.indexOf(this.end);
    if (cfg && i === -1) this.#hooks.push(this.end);
    if (!cfg && i !== -1) this.#hooks.splice(i, 1);
  }

  #sampleNew = (): boolean => {
    const r = this.#cfg?.sampleRatio ?? 0;
    return r >= 1 || (r > 0 && Math.random() < r);
  };

  /** At request start (export on): trace ids now, and a span list when the trace is sampled. */
  begin(ctx: RequestContext): void {
    ensureTrace(ctx, this.#sampleNew);
    if (ctx.traceFlags === '01') ctx.spans = [];
  }

  /** The requestDone hook: the request's spans go to the exporter. */
  readonly end = (ctx: RequestContext): void => {
    const exporter = this.#exporter;
    const phases = ctx.spans;
    if (!exporter || !phases) return;
    const end = finishTime(ctx);
    const serverId = newSpanId();
    const traceId = ctx.traceId;
    const route = ctx.route ? (ctx.route.key.isDefault ? '$default' : ctx.route.key.path) : '';
    const attributes: Record<string, AttrValue> = {
      'http.request.method': ctx.method,
      'url.path': ctx.rawPath,
      'http.response.status_code': ctx.status,
      'client.address': ctx.clientIp,
      'portico.request_id': ctx.requestId,
    };
    if (route) attributes['http.route'] = route;
    if (ctx.api) attributes['portico.api'] = ctx.api.name;
    if (ctx.stage) attributes['portico.stage'] = ctx.stage.name;
    if (ctx.errorResponseType) attributes['portico.gateway_response'] = ctx.errorResponseType;
    if (ctx.identity.apiKeyId) attributes['portico.api_key_id'] = ctx.identity.apiKeyId;
    exporter.add({
      traceId,
      spanId: serverId,
      ...(ctx.parentSpanId ? { parentSpanId: ctx.parentSpanId } : {}),
      name: route ? `${ctx.method} ${route}` : ctx.method,
      kind: 2,
      startMs: ctx.startTimeMs,
      endMs: end,
      attributes,
      error: ctx.status >= 500 || ctx.status === 0,
    });
    if (ctx.integrationStartMs) {
      const a: Record<string, AttrValue> = { 'server.address': ctx.upstreamOrigin };
      if (ctx.integrationStatus) a['http.response.status_code'] = ctx.integrationStatus;
      if (ctx.integrationError) a['error.type'] = ctx.integrationError.message;
      exporter.add({
        traceId,
        spanId: ctx.spanId,
        parentSpanId: serverId,
        name: 'integration',
        kind: 3,
        startMs: ctx.integrationStartMs,
        endMs: ctx.integrationEndMs || end,
        attributes: a,
        error: !ctx.integrationStatus || ctx.integrationStatus >= 500,
      });
    }
    for (const p of phases) {
      exporter.add({
        traceId,
        spanId: newSpanId(),
        parentSpanId: serverId,
        name: p.name,
        kind: 1,
        startMs: p.startMs,
        endMs: p.endMs,
        attributes: p.attributes ?? {},
      });
    }
  };

  onSnapshot(snapshot: Snapshot): void {
    this.configure(snapshot.config.observability.tracing.otlp);
  }

  async close(): Promise<void> {
    const i = this.#hooks.indexOf(this.end);
    if (i !== -1) this.#hooks.splice(i, 1);
    await this.#exporter?.flush();
  }
}

/** Called by the request handler at request start, only while OTLP export is configured. */
export function beginTrace(ctx: RequestContext): void {
  ctx.snapshot.runtime.services.get(TRACING)?.begin(ctx);
}
