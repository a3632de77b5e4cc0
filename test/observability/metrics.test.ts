import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'undici';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { parseMetrics, scrape, series, until, value } from './helpers.js';

const config = (up: string, extra = '') => `version: 1
upstreams:
  items: { targets: [ { url: "${up}" } ] }
apis:
  - name: shop
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /items/{id}
        integration: { type: http_proxy, uri: "${up}/items/{id}" }
      - route: GET /pooled/{proxy+}
        integration: { type: http_proxy, upstream: items }
      - route: GET /fail
        integration: { type: mock, statusCode: 503 }
      - route: GET /down
        integration: { type: http_proxy, uri: "http://127.0.0.1:1/down", timeoutMs: 2000 }
      - route: ANY /{proxy+}
        integration: { type: mock, statusCode: 200, body: ok }
  - name: other
    type: http
    basePath: /other
    stages: { $default: {} }
    routes:
      - route: $default
        integration: { type: mock, statusCode: 201, body: made }
${extra}`;

describe('GET /metrics after known traffic', () => {
  let up: TestUpstream;
  let t: TestGateway;
  before(async () => {
    up = await startUpstream();
    t = await startTestGateway(config(up.url, 'observability: { metrics: { processMetrics: false } }\n'));
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  test('exact counters and label sets per api, stage, route template, method and status class', async () => {
    for (const id of ['1', '2', '3']) assert.equal((await call(t.port, 'GET', `/prod/items/${id}`)).status, 200);
    assert.equal((await call(t.port, 'GET', '/prod/pooled/a/b')).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await call(t.port, 'GET', '/prod/fail')).status, 503);
    assert.equal((await call(t.port, 'POST', '/prod/anything/else', {}, 'x')).status, 200);
    assert.equal((await call(t.port, 'GET', '/prod/down')).status, 500);
    assert.equal((await call(t.port, 'GET', '/other/x')).status, 201);
    assert.equal((await call(t.port, 'GET', '/nostage')).status, 404); // no mount: api "" (404 since an http API shares the host)
    const total = 10;
    let samples = parseMetrics((await scrape(t.gw)).text);
    await until(async () => {
      samples = parseMetrics((await scrape(t.gw)).text);
      return series(samples, 'portico_requests_total').reduce((a, s) => a + s.value, 0) === total;
    });

    const req = (route: string, method: string, cls: string, api = 'shop', stage = 'prod') => ({
      api,
      stage,
      route,
      method,
      status_class: cls,
    });
    const requests = series(samples, 'portico_requests_total')
      .map((s) => `${JSON.stringify(s.labels)} ${s.value}`)
      .sort();
    assert.deepEqual(
      requests,
      [
        [req('/items/{id}', 'GET', '2xx'), 3],
        [req('/pooled/{proxy+}', 'GET', '2xx'), 1],
        [req('/fail', 'GET', '5xx'), 2],
        [req('/{proxy+}', 'POST', '2xx'), 1],
        [req('/down', 'GET', '5xx'), 1],
        [req('$default', 'GET', '2xx', 'other', '$default'), 1],
        [req('', 'GET', '4xx', '', ''), 1],
      ]
        .map(([l, v]) => `${JSON.stringify(l)} ${v}`)
        .sort(),
    );
    // Latency histograms: one observation per request; integration latency only for proxied requests.
    const route = { api: 'shop', stage: 'prod', route: '/items/{id}', method: 'GET' };
    assert.equal(value(samples, 'portico_request_duration_seconds_count', route), 3);
    assert.equal(value(samples, 'portico_integration_duration_seconds_count', route), 3);
    assert.equal(value(samples, 'portico_request_duration_seconds_bucket', { ...route, le: '+Inf' }), 3);
    assert.equal(series(samples, 'portico_integration_duration_seconds_count', { route: '/fail' })[0]?.value ?? 0, 0);
    assert.equal(value(samples, 'portico_integration_duration_seconds_count', { ...route, route: '/down' }), 1);
    // A named upstream (src/upstream/exchange.ts) records its integration timing too.
    assert.equal(
      value(samples, 'portico_integration_duration_seconds_count', { ...route, route: '/pooled/{proxy+}' }),
      1,
    );
    // Gateway responses by type, and the upstream error of the refused connection.
    assert.equal(
      value(samples, 'portico_gateway_responses_total', {
        api: 'shop',
        stage: 'prod',
        route: '/down',
        type: 'INTEGRATION_FAILURE',
      }),
      1,
    );
    assert.equal(
      value(samples, 'portico_upstream_errors_total', { upstream: '', target: 'http://127.0.0.1:1', kind: 'failure' }),
      1,
    );
    assert.equal(
      value(samples, 'portico_gateway_responses_total', { api: '', stage: '', route: '', type: 'RESOURCE_NOT_FOUND' }),
      1,
    );
    // Not an auth failure: a missed route is not a refused caller.
    assert.equal(series(samples, 'portico_auth_failures_total').length, 0);
    assert.equal(value(samples, 'portico_config_revision', {}), 1);
    assert.equal(value(samples, 'portico_config_reloads_total', { result: 'ok' }), 0);
    assert.equal(value(samples, 'portico_config_reloads_total', { result: 'failed' }), 0);
    // The named upstream's pool is there with nothing in flight.
    assert.equal(value(samples, 'portico_upstream_inflight_requests', { upstream: 'items', target: up.url }), 0);
  });

  test('features report cache, health and breaker events through the metrics service', async () => {
    const m = t.gw.runtime.services.get('metrics') as import('../../src/observability/metrics.js').MetricsService;
    m.cacheEvent('shop', 'prod', '/items/{id}', 'hit');
    m.cacheEvent('shop', 'prod', '/items/{id}', 'hit');
    m.cacheEvent('shop', 'prod', '/items/{id}', 'miss');
    m.cacheEvent('shop', 'prod', '', 'eviction', 5);
    m.upstreamTargetHealth('items', up.url, false);
    m.breakerState('items', up.url, 'open');
    const s = parseMetrics((await scrape(t.gw)).text);
    const at = { api: 'shop', stage: 'prod', route: '/items/{id}' };
    assert.equal(value(s, 'portico_cache_events_total', { ...at, event: 'hit' }), 2);
    assert.equal(value(s, 'portico_cache_events_total', { ...at, event: 'miss' }), 1);
    assert.equal(value(s, 'portico_cache_events_total', { ...at, route: '', event: 'eviction' }), 5);
    assert.equal(value(s, 'portico_upstream_target_healthy', { upstream: 'items', target: up.url }), 0);
    assert.equal(value(s, 'portico_upstream_breaker_state', { upstream: 'items', target: up.url }), 1);
    assert.equal(m.healthyTargets('items', [up.url]), 0);
  });

  test('the admin token is required', async () => {
    assert.equal((await scrape(t.gw, null)).status, 401);
    assert.equal((await scrape(t.gw, 'wrong-token-wrong-token')).status, 401);
    const ok = await scrape(t.gw);
    assert.equal(ok.status, 200);
  });

  test('reloads: failed and ok are counted, the revision follows', async () => {
    await t.write('version: 1\napis: []\n');
    assert.equal((await t.gw.reload('test')).ok, false);
    await t.write(
      config(up.url, 'observability: { metrics: { processMetrics: false }, accessLog: { enabled: false } }\n'),
    );
    assert.equal((await t.gw.reload('test')).ok, true);
    const s = parseMetrics((await scrape(t.gw)).text);
    assert.equal(value(s, 'portico_config_reloads_total', { result: 'failed' }), 1);
    assert.equal(value(s, 'portico_config_reloads_total', { result: 'ok' }), 1);
    assert.equal(value(s, 'portico_config_revision', {}), 2);
  });
});

describe('metrics options', () => {
  test('admin.metricsPublic serves /metrics without the token (only /metrics); process metrics on by default', async () => {
    const t = await startTestGateway(config('http://127.0.0.1:1', 'admin: { metricsPublic: true }\n'));
    try {
      const r = await scrape(t.gw, null);
      assert.equal(r.status, 200);
      assert.match(r.text, /^portico_process_cpu_user_seconds_total /m);
      const status = await fetch(`${t.gw.adminUrl}/status`);
      assert.equal(status.status, 401);
    } finally {
      await t.close();
    }
  });
});

describe('cardinality', () => {
  test('10,000 distinct raw paths on one {proxy+} route make one label set', async () => {
    const t = await startTestGateway(
      config('http://127.0.0.1:1', 'observability: { metrics: { processMetrics: false } }\n'),
    );
    const pool = new Pool(t.url, { connections: 16 });
    try {
      const n = 10_000;
      let next = 0;
      const worker = async () => {
        while (next < n) {
          const i = next++;
          const r = await pool.request({ method: 'GET', path: `/prod/u/${i}/${(i * 7919) % 10007}?q=${i}` });
          await r.body.dump();
          assert.equal(r.statusCode, 200);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      let samples = parseMetrics((await scrape(t.gw)).text);
      await until(async () => {
        samples = parseMetrics((await scrape(t.gw)).text);
        return series(samples, 'portico_requests_total').reduce((a, s) => a + s.value, 0) === n;
      });
      const reqs = series(samples, 'portico_requests_total');
      assert.equal(reqs.length, 1);
      assert.deepEqual(reqs[0]?.labels, {
        api: 'shop',
        stage: 'prod',
        route: '/{proxy+}',
        method: 'GET',
        status_class: '2xx',
      });
      assert.equal(reqs[0]?.value, n);
      // Histograms: one series (×buckets) too.
      assert.equal(series(samples, 'portico_request_duration_seconds_count').length, 1);
    } finally {
      await pool.close();
      await t.close();
    }
  });
});
