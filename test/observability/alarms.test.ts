import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import type { AlarmEvent, AlarmService } from '../../src/observability/alarms.js';
import type { MetricsService } from '../../src/observability/metrics.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { until } from './helpers.js';

/** A loopback webhook receiver that records every POST body. */
async function startReceiver() {
  const posts: AlarmEvent[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8').on('data', (c: string) => (data += c));
    req.on('end', () => {
      posts.push(JSON.parse(data) as AlarmEvent);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    posts,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}

const config = (hook: string) => `version: 1
upstreams:
  books: { targets: [ { url: "http://127.0.0.1:1" }, { url: "http://127.0.0.1:2" } ] }
apis:
  - name: shop
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /ok
        integration: { type: mock, statusCode: 200 }
      - route: GET /boom
        integration: { type: mock, statusCode: 500 }
  - name: other
    type: http
    basePath: /other
    stages: { $default: {} }
    routes:
      - route: $default
        integration: { type: mock, statusCode: 500 }
observability:
  metrics: { processMetrics: false }
  alarms:
    evaluateEverySeconds: 3600   # the test drives evaluate() with a ManualClock
    webhook: { url: "${hook}", headers: { x-hook-token: t0k } }
    rules:
      - { name: shop-5xx, metric: 5xxRate, api: shop, threshold: 0.05, windowSeconds: 60, minRequests: 10, cooldownSeconds: 300 }
      - { name: books-down, metric: healthyTargets, upstream: books, comparison: "<", threshold: 1, cooldownSeconds: 300 }
`;

describe('alarms', () => {
  test('5xx rate over 5% in 1 min for api shop: exactly one POST when crossed, none during cooldown', async () => {
    const hook = await startReceiver();
    const clock = new ManualClock();
    const t = await startTestGateway(config(hook.url), { clock });
    const alarms = t.gw.runtime.services.get('alarms') as AlarmService;
    const metrics = t.gw.runtime.services.get('metrics') as MetricsService;
    const send = async (path: string, n: number) => {
      for (let i = 0; i < n; i++) await call(t.port, 'GET', path);
    };
    const total = () => [...metrics.totals().values()].reduce((a, x) => a + x.count, 0);
    try {
      assert.deepEqual(alarms.evaluate(), []); // baseline sample
      await send('/ok', 100);
      await send('/other/x', 20); // another API's 5xx do not count for shop
      await until(() => total() === 120);
      clock.advance(30_000);
      assert.deepEqual(alarms.evaluate(), []);
      await send('/boom', 5); // 5 of 105 = 4.8%: under the threshold
      await until(() => total() === 125);
      clock.advance(10_000);
      assert.deepEqual(alarms.evaluate(), []);
      await send('/boom', 1); // 6 of 106 = 5.7%
      await until(() => total() === 126);
      clock.advance(10_000);
      const fired = alarms.evaluate();
      assert.deepEqual(
        fired.map((e) => e.alarm),
        ['shop-5xx'],
      );
      await alarms.settled();
      assert.equal(hook.posts.length, 1);
      const p = hook.posts[0]!;
      assert.equal(p.alarm, 'shop-5xx');
      assert.equal(p.state, 'ALARM');
      assert.equal(p.metric, '5xxRate');
      assert.equal(p.api, 'shop');
      assert.equal(p.threshold, 0.05);
      assert.equal(Math.round(p.value * 1000), 57);
      assert.equal(p.at, new Date(clock.now()).toISOString());

      // Still above the threshold, but within the 300 s cooldown: nothing.
      await send('/boom', 20);
      await until(() => total() === 146);
      for (let i = 0; i < 5; i++) {
        clock.advance(50_000);
        assert.deepEqual(alarms.evaluate(), []);
      }
      await alarms.settled();
      assert.equal(hook.posts.length, 1);
      // Cooldown over while the errors continue: it fires again.
      await send('/boom', 20);
      await until(() => total() === 166);
      clock.advance(60_000);
      assert.deepEqual(
        alarms.evaluate().map((e) => e.alarm),
        ['shop-5xx'],
      );
      await alarms.settled();
      assert.equal(hook.posts.length, 2);
      // Old errors age out of the window: no alarm once the last minute is clean.
      await send('/ok', 20);
      await until(() => total() === 186);
      clock.advance(400_000);
      alarms.evaluate();
      clock.advance(61_000);
      assert.deepEqual(alarms.evaluate(), []);
      // GET /alarms lists what fired.
      const listed = await fetch(`${t.gw.adminUrl}/alarms`, {
        headers: { authorization: `Bearer ${t.gw.adminToken}` },
      });
      assert.equal(((await listed.json()) as { fired: unknown[] }).fired.length, 2);
    } finally {
      await t.close();
      await hook.close();
    }
  });

  test('upstream with 0 healthy targets fires once, then cooldown', async () => {
    const hook = await startReceiver();
    const clock = new ManualClock();
    const t = await startTestGateway(config(hook.url), { clock });
    const alarms = t.gw.runtime.services.get('alarms') as AlarmService;
    const metrics = t.gw.runtime.services.get('metrics') as MetricsService;
    try {
      assert.deepEqual(alarms.evaluate(), []); // never reported: assumed healthy
      metrics.upstreamTargetHealth('books', 'http://127.0.0.1:1', false);
      clock.advance(10_000);
      assert.deepEqual(alarms.evaluate(), []); // one left
      metrics.upstreamTargetHealth('books', 'http://127.0.0.1:2', false);
      clock.advance(10_000);
      assert.deepEqual(
        alarms.evaluate().map((e) => `${e.alarm} ${e.value}`),
        ['books-down 0'],
      );
      clock.advance(10_000);
      assert.deepEqual(alarms.evaluate(), []);
      await alarms.settled();
      assert.equal(hook.posts.length, 1);
      assert.equal(hook.posts[0]?.upstream, 'books');
    } finally {
      await t.close();
      await hook.close();
    }
  });
});
