import { request } from 'undici';
import type { Logger } from '../logger.js';
import type { OtlpConfig } from './schema.js';

/**
 * A small batching OTLP/HTTP trace exporter with JSON encoding
 * (https://opentelemetry.io/docs/specs/otlp/#otlphttp). Spans wait in a bounded queue and go out in
 * batches of maxBatchSize, or after flushIntervalMs; a full queue drops new spans (counted), an
 * export failure drops its batch (logged). It never blocks or fails a request.
 */

export type AttrValue = string | number | boolean;

export interface ExportSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: 1 | 2 | 3;
  startMs: number;
  endMs: number;
  attributes: Record<string, AttrValue>;
  /** true = STATUS_CODE_ERROR. */
  error?: boolean;
}

function attr(key: string, v: AttrValue) {
  if (typeof v === 'string') return { key, value: { stringValue: v } };
  if (typeof v === 'boolean') return { key, value: { boolValue: v } };
  return Number.isInteger(v) ? { key, value: { intValue: String(v) } } : { key, value: { doubleValue: v } };
}

/** ms since the epoch → a decimal string of ns (OTLP/JSON encodes 64-bit integers as strings). */
const nanos = (ms: number): string => `${Math.round(ms)}000000`;

export class OtlpExporter {
  #cfg: OtlpConfig;
  #log: Logger;
  #queue: ExportSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inflight = new Set<Promise<void>>();
  /** Spans dropped because the queue was full or an export failed. */
  dropped = 0;
  exported = 0;

  constructor(cfg: OtlpConfig, log: Logger) {
    this.#cfg = cfg;
    this.#log = log;
  }

  add(span: ExportSpan): void {
    if (this.#queue.length >= this.#cfg.maxQueueSize) {
      this.dropped++;
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#cfg.maxBatchSize) this.#sendBatch();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#cfg.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Sends everything queued now; resolves when every export in flight has finished. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length) this.#sendBatch();
    await Promise.all([...this.#inflight]);
  }

  #sendBatch(): void {
    const batch = this.#queue.splice(0, this.#cfg.maxBatchSize);
    if (!batch.length) return;
    const p = this.#post(batch).finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** The ExportTraceServiceRequest body. */
  encode(spans: readonly ExportSpan[]): string {
    return JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [attr('service.name', this.#cfg.serviceName)] },
          scopeSpans: [
            {
              scope: { name: 'portico' },
              spans: spans.map((s) => ({
                traceId: s.traceId,
                spanId: s.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name,
                kind: s.kind,
                startTimeUnixNano: nanos(s.startMs),
                endTimeUnixNano: nanos(s.endMs),
                attributes: Object.entries(s.attributes).map(([k, v]) => attr(k, v)),
                status: s.error ? { code: 2 } : {},
              })),
            },
          ],
        },
      ],
    });
  }

  async #post(batch: ExportSpan[]): Promise<void> {
    const cfg = this.#cfg;
    try {
      const res = await request(cfg.endpoint, {
        method: 'POST',
        headers: { ...cfg.headers, 'content-type': 'application/json' },
        body: this.encode(batch),
        headersTimeout: cfg.timeoutMs,
        bodyTimeout: cfg.timeoutMs,
      });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`collector answered ${res.statusCode}`);
      this.exported += batch.length;
    } catch (err) {
      this.dropped += batch.length;
      this.#log.warn(
        { err: (err as Error).message, endpoint: cfg.endpoint, spans: batch.length },
        'OTLP trace export failed; spans dropped',
      );
    }
  }
}
