import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AccessLogService } from '../../src/observability/access-log.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { until } from './helpers.js';

/** A port nothing listens on (bound, then closed), for the 500 of a refused upstream. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('responseLength is 0 in the access log for responses Portico makes itself: now the body bytes sent, for every response', async () => {
  const up = await startUpstream((_req, res) => {
    // Chunked, so the only count is the bytes relayed.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('proxied ');
    res.end('body, in two chunks');
  });
  const dead = await deadPort();
  const t = await startTestGateway(`version: 1
apis:
  - name: shop
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /mock
        integration: { type: mock, statusCode: 200, body: '{"hello":"wörld"}' }
      - route: GET /keyed
        apiKeyRequired: true
        integration: { type: mock, statusCode: 200, body: never }
      - route: GET /proxied
        integration: { type: http_proxy, uri: "${up.url}/p" }
      - route: GET /broken
        integration: { type: http_proxy, uri: "http://127.0.0.1:${dead}/x" }
  - name: web
    type: http
    basePath: /web
    stages: { $default: {} }
    routes:
      - route: GET /thing
        integration: { type: mock, statusCode: 200, body: thing }
observability:
  metrics: { processMetrics: false }
  accessLog: { enabled: true, destination: access.log, format: "$context.httpMethod $context.path $context.status $context.responseLength $context.requestId" }
`);
  try {
    const cases: [string, string, number][] = [
      ['GET', '/prod/mock', 200],
      ['GET', '/prod/keyed', 403],
      ['GET', '/web/nothing-here', 404],
      ['GET', '/prod/broken', 500],
      ['GET', '/prod/proxied', 200],
    ];
    const received: number[] = [];
    for (const [method, path, status] of cases) {
      const r = await call(t.port, method, path);
      assert.equal(r.status, status, `${method} ${path}`);
      received.push(Buffer.byteLength(r.body));
    }
    assert.ok(
      received.every((n, i) => (cases[i]?.[0] === 'HEAD' ? n === 0 : n > 0)),
      'every GET got a body',
    );
    const svc = t.gw.runtime.services.get('accessLog') as AccessLogService;
    let lines: string[] = [];
    await until(async () => {
      await svc.flush();
      lines = (await readFile(join(t.dir, 'access.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      return lines.length >= cases.length;
    });
    const logged = cases.map(([method, path, status]) => {
      const line = lines.find((l) => l.startsWith(`${method} ${path} ${status} `));
      assert.ok(line, `no access log line for ${method} ${path}: ${lines.join('\n')}`);
      return Number(line.split(' ')[3]);
    });
    assert.deepEqual(logged, received);
  } finally {
    await t.close();
    await up.close();
  }
});
