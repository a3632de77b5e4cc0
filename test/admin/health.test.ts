import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type RedisServer, redisSuiteSkip, startRedis } from '../helpers/redis.js';
import { STORE } from '../../src/store/keys.js';

/**
 * Issue 21: /healthz and /readyz on the admin listener without the token, readiness reading the store
 * as configured (SQLite file, Redis PING), and observability.metrics.listen serving metrics and health
 * only. Real sockets, a real SQLite file, a real redis-server.
 */

const API = `apis:
  - name: api
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /ok, integration: { type: mock, statusCode: 200, body: ok } }
`;

interface Check {
  ok: boolean;
  kind?: string;
  revision?: number;
}
/** The JSON of /readyz and /healthz (or Prometheus text as a string). */
type Body = { status: string; reason: string; checks: Record<string, Check> } & string;

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> {
  const res = await fetch(url, { headers: { connection: 'close', ...headers } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text
  }
  return { status: res.status, body: body as Body };
}

describe('health on the admin listener (embedded store)', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway(`version: 1\n${API}`);
  });
  after(() => t.close());

  test('/healthz and /readyz answer without the token; the rest of the admin API still asks for it', async () => {
    const admin = t.gw.adminUrl;
    const live = await getJson(`${admin}/healthz`);
    assert.equal(live.status, 200);
    assert.deepEqual(live.body, { status: 'ok' });
    const ready = await getJson(`${admin}/readyz`);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.checks.config?.revision, 1);
    assert.deepEqual(ready.body.checks.store, { ok: true, kind: 'embedded' });
    assert.equal((await getJson(`${admin}/status`)).status, 401);
    assert.equal((await getJson(`${admin}/metrics`)).status, 401);
  });

  test('/readyz is 503 with the reason once the SQLite store is closed', async () => {
    await t.gw.runtime.services.get(STORE)!.close();
    const r = await getJson(`${t.gw.adminUrl}/readyz`);
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'not ready');
    assert.equal(r.body.checks.store?.ok, false);
    assert.match(r.body.reason, /^store: /);
    assert.equal((await getJson(`${t.gw.adminUrl}/healthz`)).status, 200, 'liveness does not depend on the store');
  });
});

describe('observability.metrics.listen: metrics and health only, without the token', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway(`version: 1
admin: { token: health-test-admin-token-0123 }
observability: { metrics: { listen: 127.0.0.1:0 } }
${API}`);
  });
  after(() => t.close());

  test('GET /metrics, /healthz, /readyz answer there; no other admin endpoint exists there', async () => {
    const m = t.gw.metricsUrl;
    assert.match(m, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(m, t.gw.adminUrl);
    await fetch(`${t.url}/ok`).then((r) => r.text());
    const metrics = await getJson(`${m}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /portico_requests_total\{[^}]*route="\/ok"[^}]*\} 1/);
    assert.equal((await getJson(`${m}/healthz`)).status, 200);
    assert.equal((await getJson(`${m}/readyz`)).status, 200);
    for (const path of ['/status', '/routes', '/keys', '/alarms']) {
      const r = await getJson(`${m}${path}`, { authorization: 'Bearer health-test-admin-token-0123' });
      assert.equal(r.status, 404, `${path} is not on the metrics listener`);
    }
    const reload = await fetch(`${m}/reload`, { method: 'POST' });
    await reload.text();
    assert.equal(reload.status, 404);
    // The admin listener keeps its token for /metrics (admin.metricsPublic is false).
    assert.equal((await getJson(`${t.gw.adminUrl}/metrics`)).status, 401);
  });
});

const skip = redisSuiteSkip('health: /readyz with store.kind redis');

describe('health: /readyz with store.kind redis', { skip }, () => {
  let redis: RedisServer | undefined;
  let t: TestGateway | undefined;
  before(async (ctx) => {
    redis = await startRedis(ctx as unknown as TestContext);
    if (!redis) return;
    t = await startTestGateway(`version: 1
store: { kind: redis, url: "${redis.url}", keyPrefix: "hz:", commandTimeoutMs: 200, probeIntervalMs: 50 }
${API}`);
  });
  after(async () => {
    await t?.close();
    await redis?.stop();
  });

  test('ready while Redis answers PING; 503 with the reason while it hangs or is gone; ready again after', async () => {
    const gw = t as TestGateway;
    const r = redis as RedisServer;
    const url = `${gw.gw.adminUrl}/readyz`;
    const up = await getJson(url);
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.deepEqual(up.body.checks.store, { ok: true, kind: 'redis' });

    r.pause();
    try {
      const hung = await getJson(url);
      assert.equal(hung.status, 503);
      assert.equal(hung.body.checks.store?.kind, 'redis');
      assert.match(hung.body.reason, /^store: Redis did not answer within 200 ms/);
    } finally {
      r.resume();
    }
    assert.equal((await getJson(url)).status, 200, 'ready again once Redis answers');

    await r.kill();
    const gone = await getJson(url);
    assert.equal(gone.status, 503);
    assert.match(gone.body.reason, /^store: /);
    assert.equal((await getJson(`${gw.gw.adminUrl}/healthz`)).status, 200);
    await r.restart();
    let back = 0;
    for (let i = 0; i < 200 && back !== 200; i++) {
      back = (await getJson(url)).status;
      if (back !== 200) await new Promise((res) => setTimeout(res, 25));
    }
    assert.equal(back, 200, 'ready again after Redis restarts');
  });
});
