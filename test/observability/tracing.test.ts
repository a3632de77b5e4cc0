import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { TracingService } from '../../src/observability/tracing.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { until } from './helpers.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

const config = (up: string, extra = '') => `version: 1
apis:
  - name: shop
    type: rest
    stages: { prod: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${up}/{proxy}" }
      - route: GET /mock
        integration: { type: mock, statusCode: 200, body: ok }
observability:
  metrics: { processMetrics: false }
${extra}`;

describe('W3C trace context propagation (always on)', () => {
  test('the upstream receives a child traceparent of the client’s, and the tracestate; invalid or none starts a trace', async () => {
    const up = await startUpstream();
    const t = await startTestGateway(config(up.url));
    try {
      await call(t.port, 'GET', '/prod/a', {
        traceparent: `00-${TRACE}-${PARENT}-01`,
        tracestate: 'vendor=opaque,other=1',
      });
      const first = up.requests[0]?.headers;
      const m = TP.exec(first?.traceparent as string);
      assert.ok(m, `bad traceparent ${first?.traceparent}`);
      assert.equal(m[1], TRACE); // same trace
      assert.notEqual(m[2], PARENT); // our span, a child of the client's
      assert.equal(m[3], '01'); // sampled flag kept
      assert.equal(first?.tracestate, 'vendor=opaque,other=1');

      await call(t.port, 'GET', '/prod/b', { traceparent: `00-${TRACE}-${PARENT}-00` });
      assert.equal(TP.exec(up.requests[1]?.headers.traceparent as string)?.[3], '00');

      for (const bad of [
        undefined,
        'garbage',
        `00-${'0'.repeat(32)}-${PARENT}-01`,
        `ff-${TRACE}-${PARENT}-01`,
        `00-${TRACE.toUpperCase()}-${PARENT}-01`,
      ]) {
        const n = up.requests.length;
        await call(t.port, 'GET', '/prod/c', bad ? { traceparent: bad, tracestate: 'vendor=dropped' } : {});
        const h = up.requests[n]?.headers;
        const got = TP.exec(h?.traceparent as string);
        assert.ok(got, `no valid traceparent upstream for ${bad}`);
        assert.notEqual(got[1], TRACE);
        assert.equal(h?.tracestate, undefined); // never passed on without a valid traceparent
      }
      // One traceparent header only, never the client's copy as well.
      const raw = up.requests[0]?.rawHeaders ?? [];
      assert.equal(raw.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'traceparent').length, 1);
      // Two requests never share a span id.
      const spans = up.requests.map((r) => TP.exec(r.headers.traceparent as string)?.[2]);
      assert.equal(new Set(spans).size, spans.length);
      // With export off, there is no tracing hook at all.
      assert.equal((t.gw.runtime.services.get('tracing') as TracingService).exporter, undefined);
    } finally {
      await t.close();
      await up.close();
    }
  });
});

describe('OTLP/HTTP export', () => {
  test('request, integration and phase spans reach a loopback collector as OTLP JSON', async () => {
    const bodies: { path: string; type: string; body: Record<string, unknown> }[] = [];
    const collector = createServer((req, res) => {
      let data = '';
      req.setEncoding('utf8').on('data', (c: string) => (data += c));
      req.on('end', () => {
        bodies.push({
          path: req.url ?? '',
          type: req.headers['content-type'] ?? '',
          body: JSON.parse(data) as Record<string, unknown>,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
    const up = await startUpstream();
    const t = await startTestGateway(
      config(
        up.url,
        `  tracing: { otlp: { endpoint: "${endpoint}", serviceName: edge, flushIntervalMs: 60000, headers: { x-collector-token: abc } } }\n`,
      ),
    );
    try {
      const { recordSpan } = await import('../../src/observability/trace-context.js');
      // Stands in for an authorizer policy recording its phase span.
      t.gw.runtime.requestDone.unshift((ctx) =>
        recordSpan(ctx, 'authorizer', ctx.startTimeMs, ctx.startTimeMs, { 'portico.authorizer': 'jwt' }),
      );
      await call(t.port, 'GET', '/prod/items/9', { traceparent: `00-${TRACE}-${PARENT}-01` });
      await call(t.port, 'GET', '/prod/mock', { traceparent: `00-${TRACE}-${PARENT}-00` }); // not sampled: not exported
      const tracing = t.gw.runtime.services.get('tracing') as TracingService;
      await until(async () => {
        await tracing.exporter?.flush();
        return bodies.length > 0;
      });
      assert.equal(bodies.length, 1);
      const b = bodies[0]!;
      assert.equal(b.path, '/v1/traces');
      assert.equal(b.type, 'application/json');
      const rs = (
        b.body.resourceSpans as {
          resource: { attributes: unknown[] };
          scopeSpans: { spans: Record<string, unknown>[] }[];
        }[]
      )[0]!;
      assert.deepEqual(rs.resource.attributes, [{ key: 'service.name', value: { stringValue: 'edge' } }]);
      const spans = rs.scopeSpans[0]!.spans;
      assert.deepEqual(
        spans.map((s) => s.name),
        ['GET /{proxy+}', 'integration', 'authorizer'],
      );
      const [server, integ, auth] = spans as [
        Record<string, unknown>,
        Record<string, unknown>,
        Record<string, unknown>,
      ];
      for (const s of spans) assert.equal(s.traceId, TRACE);
      assert.equal(server.parentSpanId, PARENT);
      assert.equal(server.kind, 2);
      assert.equal(integ.parentSpanId, server.spanId);
      assert.equal(integ.kind, 3);
      assert.equal(auth.parentSpanId, server.spanId);
      // The upstream's parent is the integration span.
      assert.equal(TP.exec(up.requests[0]?.headers.traceparent as string)?.[2], integ.spanId);
      const attrs = Object.fromEntries(
        (server.attributes as { key: string; value: Record<string, unknown> }[]).map((a) => [
          a.key,
          Object.values(a.value)[0],
        ]),
      );
      assert.equal(attrs['http.request.method'], 'GET');
      assert.equal(attrs['http.route'], '/{proxy+}');
      assert.equal(attrs['http.response.status_code'], '200');
      assert.equal(attrs['portico.api'], 'shop');
      assert.match(String(server.startTimeUnixNano), /^\d{19}$/);
    } finally {
      await t.close();
      await up.close();
      collector.closeAllConnections();
      await new Promise((r) => collector.close(r));
    }
  });
});

describe('request ids', () => {
  const cfg = (up: string, rid: string) =>
    config(up).replace(
      'version: 1\n',
      `version: 1\nserver: { trustedProxies: [${rid.includes('any') ? '' : '127.0.0.1'}], requestId: ${rid} }\n`,
    );

  test('generated by default; from a trusted header when configured; invalid values replaced', async () => {
    const up = await startUpstream();
    let t = await startTestGateway(config(up.url));
    try {
      const r = await call(t.port, 'GET', '/prod/x', { 'x-request-id': 'client-chosen-1' });
      assert.match(r.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
      assert.equal(up.requests[0]?.headers['x-request-id'], r.headers['x-request-id']);
      await t.close();

      t = await startTestGateway(cfg(up.url, '{ header: X-Request-Id }'));
      const trusted = await call(t.port, 'GET', '/prod/x', { 'x-request-id': 'client-chosen-2' });
      assert.equal(trusted.headers['x-request-id'], 'client-chosen-2');
      assert.equal(trusted.headers['x-amzn-requestid'], 'client-chosen-2');
      assert.equal(up.requests[1]?.headers['x-request-id'], 'client-chosen-2');
      const bad = await call(t.port, 'GET', '/prod/x', { 'x-request-id': 'has space"quote' });
      assert.match(bad.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
      const long = await call(t.port, 'GET', '/prod/x', { 'x-request-id': 'a'.repeat(129) });
      assert.match(long.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
      await t.close();

      // 127.0.0.1 is not a trusted proxy here: only trustFrom any believes it.
      t = await startTestGateway(
        cfg(up.url, '{ header: x-request-id, trustFrom: trustedProxies }').replace('[127.0.0.1]', '[]'),
      );
      assert.match(
        (await call(t.port, 'GET', '/prod/x', { 'x-request-id': 'client-chosen-3' })).headers['x-request-id'] as string,
        /^[0-9a-f-]{36}$/,
      );
      await t.close();
      t = await startTestGateway(cfg(up.url, '{ header: x-request-id, trustFrom: any }'));
      assert.equal(
        (await call(t.port, 'GET', '/prod/x', { 'x-request-id': 'client-chosen-4' })).headers['x-request-id'],
        'client-chosen-4',
      );
    } finally {
      await t.close();
      await up.close();
    }
  });
});
