import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { OtlpExporter } from './otlp.js';

test('encode: OTLP/JSON with hex ids, string nanos and typed attributes', () => {
  const e = new OtlpExporter(
    {
      endpoint: 'http://127.0.0.1:1/v1/traces',
      headers: {},
      serviceName: 'svc',
      sampleRatio: 1,
      maxBatchSize: 10,
      maxQueueSize: 2,
      flushIntervalMs: 1000,
      timeoutMs: 100,
    },
    pino({ level: 'silent' }),
  );
  const body = JSON.parse(
    e.encode([
      {
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        name: 'GET /x',
        kind: 2,
        startMs: 1700000000123,
        endMs: 1700000000456,
        attributes: { s: 'v', i: 200, d: 1.5, b: true },
        error: true,
      },
    ]),
  );
  const span = body.resourceSpans[0].scopeSpans[0].spans[0];
  assert.deepEqual(body.resourceSpans[0].resource.attributes, [{ key: 'service.name', value: { stringValue: 'svc' } }]);
  assert.equal(span.traceId, 'a'.repeat(32));
  assert.equal(span.parentSpanId, undefined);
  assert.equal(span.startTimeUnixNano, '1700000000123000000');
  assert.equal(span.endTimeUnixNano, '1700000000456000000');
  assert.deepEqual(span.attributes, [
    { key: 's', value: { stringValue: 'v' } },
    { key: 'i', value: { intValue: '200' } },
    { key: 'd', value: { doubleValue: 1.5 } },
    { key: 'b', value: { boolValue: true } },
  ]);
  assert.deepEqual(span.status, { code: 2 });
});

test('a full queue drops spans and counts them', () => {
  const e = new OtlpExporter(
    {
      endpoint: 'http://127.0.0.1:1/v1/traces',
      headers: {},
      serviceName: 'svc',
      sampleRatio: 1,
      maxBatchSize: 10,
      maxQueueSize: 2,
      flushIntervalMs: 60000,
      timeoutMs: 100,
    },
    pino({ level: 'silent' }),
  );
  const s = {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    name: 'x',
    kind: 1 as const,
    startMs: 0,
    endMs: 0,
    attributes: {},
  };
  for (let i = 0; i < 5; i++) e.add(s);
  assert.equal(e.dropped, 3);
});
