import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { call } from '../helpers/http-call.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type RedisServer, redisSuiteSkip, startRedis } from '../helpers/redis.js';
import { createKey } from '../access/key-helpers.js';

const skip = redisSuiteSkip('store.failure: keys closed, quota closed');

/** Polls (bounded: 300 × 20 ms) until `fn` is true. */
async function eventually(fn: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('store.failure: keys closed, quota closed', { skip }, () => {
  let redis: RedisServer | undefined;
  let t: TestGateway | undefined;

  before(async (ctx) => {
    redis = await startRedis(ctx as unknown as TestContext, { persistent: true });
    if (!redis) return;
    t = await startTestGateway(`version: 1
store: { kind: redis, url: "${redis.url}", keyPrefix: "fp:", probeIntervalMs: 50, failure: { keys: closed, quota: closed } }
usagePlans:
  p: { stages: { api/$default: {} }, quota: { limit: 1000, period: DAY } }
  q: { stages: { api/dev: {} } }
apis:
  - name: api
    type: http
    stages: { $default: {}, dev: {} }
    routes:
      - { route: GET /k, apiKeyRequired: true, integration: { type: mock, statusCode: 200, body: ok } }
`);
  });
  after(async () => {
    await t?.close();
    await redis?.stop();
  });

  test('keys closed: keyed requests get 403 while Redis is down, and work again after it returns; quota closed: 503', async () => {
    const gw = t as TestGateway;
    const k = await createKey(gw.gw, { name: 'k', plans: ['p', 'q'] });
    const h = { 'x-api-key': k.value };
    assert.equal((await call(gw.port, 'GET', '/k', h)).status, 200);
    await (redis as RedisServer).kill();
    assert.ok(
      await eventually(async () => (await call(gw.port, 'GET', '/k', h)).status === 403),
      'refused while Redis is down',
    );
    const st = (await fetch(new URL('/status', gw.gw.adminUrl), {
      headers: { authorization: `Bearer ${gw.gw.adminToken}` },
    }).then((r) => r.json())) as { store: { state: string } };
    assert.equal(st.store.state, 'down');
    await (redis as RedisServer).restart();
    assert.ok(
      await eventually(async () => (await call(gw.port, 'GET', '/k', h)).status === 200),
      'accepted again after recovery',
    );
  });

  test('quota closed: 503 Service Unavailable with Retry-After while Redis hangs', async () => {
    const gw = t as TestGateway;
    const k = await createKey(gw.gw, { name: 'k2', plans: ['p'] });
    const h = { 'x-api-key': k.value };
    assert.equal((await call(gw.port, 'GET', '/k', h)).status, 200);
    // keys: closed would answer 403 first once Redis is marked down; the quota check is what times out first.
    (redis as RedisServer).pause();
    try {
      const r = await call(gw.port, 'GET', '/k', h);
      assert.equal(r.status, 503);
      assert.equal(r.body, '{"message":"Service Unavailable"}');
      assert.equal(r.headers['retry-after'], '1');
    } finally {
      (redis as RedisServer).resume();
    }
    assert.ok(
      await eventually(async () => (await call(gw.port, 'GET', '/k', h)).status === 200),
      'recovered after SIGCONT',
    );
  });
});
