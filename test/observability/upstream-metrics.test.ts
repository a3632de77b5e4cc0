import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AlarmService } from '../../src/observability/alarms.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { parseMetrics, type Sample, scrape, series, until } from './helpers.js';

// Healthy on /health; /fail answers 503 (feeds the breaker without touching active health).
const handler = (req: { url?: string | undefined }, res: import('node:http').ServerResponse) => {
  res.writeHead(req.url === '/fail' ? 503 : 200, { 'content-length': '2' }).end('ok');
};

const config = (a: string, b: string) => `version: 1
upstreams:
  pair:
    targets: [ { url: "${a}" }, { url: "${b}" } ]
    healthCheck: { path: /health, intervalMs: 50, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1 }
    outlierDetection: { enabled: false }
    retries: { attempts: 0 }
    circuitBreaker: { failureRatePercent: 50, minRequests: 3, windowMs: 60000, openMs: 600000, halfOpenRequests: 1 }
apis:
  - name: shop
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, upstream: pair }
observability:
  metrics: { processMetrics: false }
  alarms:
    evaluateEverySeconds: 3600   # the test calls evaluate()
    rules:
      - { name: pair-down, metric: healthyTargets, upstream: pair, comparison: "<", threshold: 2, cooldownSeconds: 300 }
`;

describe('upstream metrics from a named upstream', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let t: TestGateway;
  let bClosed = false;
  before(async () => {
    a = await startUpstream(handler);
    b = await startUpstream(handler);
    t = await startTestGateway(config(a.url, b.url));
  });
  after(async () => {
    await t.close();
    await a.close();
    if (!bClosed) await b.close();
  });

  const samples = async (): Promise<Sample[]> => {
    const res = await scrape(t.gw);
    assert.equal(res.status, 200);
    return parseMetrics(res.text);
  };
  const gauge = (s: Sample[], name: string, target: string): number | undefined =>
    series(s, name, { upstream: 'pair', target })[0]?.value;

  test('target health gauges follow active checks; breaker state; healthyTargets alarm', async () => {
    let s: Sample[] = [];
    await until(async () => {
      s = await samples();
      return (
        gauge(s, 'portico_upstream_target_healthy', a.url) === 1 &&
        gauge(s, 'portico_upstream_target_healthy', b.url) === 1
      );
    }, 300);
    assert.equal(gauge(s, 'portico_upstream_breaker_state', a.url), 0);
    assert.equal(gauge(s, 'portico_upstream_inflight_requests', a.url), 0);
    const alarms = t.gw.runtime.services.get('alarms') as AlarmService;
    assert.deepEqual(alarms.evaluate(), []);

    // One target dies: its probe fails and its gauge drops to 0; the other stays 1.
    await b.close();
    bClosed = true;
    await until(async () => {
      s = await samples();
      return gauge(s, 'portico_upstream_target_healthy', b.url) === 0;
    }, 300);
    assert.equal(gauge(s, 'portico_upstream_target_healthy', a.url), 1);
    assert.deepEqual(
      alarms.evaluate().map((e) => `${e.alarm} ${e.value}`),
      ['pair-down 1'],
    );

    // Upstream 503s open the breaker (3 failures ≥ 50% of ≥ 3 requests); then the gateway refuses.
    for (let i = 0; i < 3; i++) assert.equal((await call(t.port, 'GET', '/fail')).status, 503);
    s = await samples();
    assert.equal(gauge(s, 'portico_upstream_breaker_state', a.url), 1);
    assert.equal(gauge(s, 'portico_upstream_breaker_state', b.url), 1);
    // Health is untouched by the breaker.
    assert.equal(gauge(s, 'portico_upstream_target_healthy', a.url), 1);
  });
});
