import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { call, type Reply } from '../helpers/http-call.js';
import { startTestGateway } from '../helpers/gateway.js';
import { createKey } from './key-helpers.js';

const TOO_MANY = '{"message":"Too Many Requests"}';

/** One request on a keep-alive agent (fast sequential loops). */
function get(agent: Agent, port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('throttling', () => {
  test('seed scenario: a 10 rps stage throttle gives 429 Too Many Requests beyond the burst, byte for byte, with Retry-After and RateLimit headers', async () => {
    const clock = new ManualClock();
    const t = await startTestGateway(
      `version: 1
apis:
  - name: pets
    type: rest
    stages:
      prod: { throttle: { rate: 10, burst: 10 } }
    routes:
      - route: GET /pets
        integration: { type: mock, statusCode: 200, body: ok }
`,
      { clock },
    );
    try {
      const statuses: number[] = [];
      let last: Reply | undefined;
      for (let i = 0; i < 15; i++) {
        last = await call(t.port, 'GET', '/prod/pets');
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [...Array(10).fill(200), ...Array(5).fill(429)]);
      const r = last as Reply;
      assert.equal(r.body, TOO_MANY);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['content-length'], String(TOO_MANY.length));
      assert.equal(r.headers['x-amzn-errortype'], 'TooManyRequestsException');
      assert.equal(r.headers['retry-after'], '1');
      assert.equal(r.headers['ratelimit-policy'], '"stage";q=10;w=1');
      assert.equal(r.headers.ratelimit, '"stage";r=0;t=1');
      clock.advance(100); // one token
      assert.equal((await call(t.port, 'GET', '/prod/pets')).status, 200);
      assert.equal((await call(t.port, 'GET', '/prod/pets')).status, 429);
      clock.advance(1000); // refills to the burst, not beyond
      const after: number[] = [];
      for (let i = 0; i < 12; i++) after.push((await call(t.port, 'GET', '/prod/pets')).status);
      assert.equal(after.filter((s) => s === 200).length, 10);
    } finally {
      await t.close();
    }
  });

  test('exact under concurrency: 60 simultaneous requests against a burst of 25 admit exactly 25', async () => {
    const clock = new ManualClock();
    const t = await startTestGateway(
      `version: 1
apis:
  - name: pets
    type: http
    stages:
      $default: { throttle: { rate: 1, burst: 25 } }
    routes:
      - route: GET /pets
        integration: { type: mock, statusCode: 200 }
`,
      { clock },
    );
    try {
      const all = await Promise.all(Array.from({ length: 60 }, () => call(t.port, 'GET', '/pets')));
      assert.equal(all.filter((r) => r.status === 200).length, 25);
      assert.equal(all.filter((r) => r.status === 429).length, 35);
      const refused = all.find((r) => r.status === 429) as Reply;
      assert.equal(refused.body, TOO_MANY);
      assert.equal(refused.headers['x-amzn-errortype'], undefined, 'http APIs send no x-amzn-ErrorType');
      assert.equal(refused.headers['retry-after'], '1');
    } finally {
      await t.close();
    }
  });

  test("AWS's order: plan (per key) → route → stage → global; each refusal names its bucket; all or nothing", async () => {
    const clock = new ManualClock();
    const t = await startTestGateway(
      `version: 1
server:
  throttle: { rate: 1, burst: 9 }
usagePlans:
  basic:
    stages:
      pets/prod:
        throttle: { "/b/GET": { rate: 1, burst: 1 } }
    throttle: { rate: 1, burst: 2 }
apis:
  - name: pets
    type: rest
    stages:
      prod:
        throttle: { rate: 1, burst: 6 }
        routeThrottle: { "/a/GET": { rate: 1, burst: 3 } }
    routes:
      - { route: GET /a, apiKeyRequired: true, integration: { type: mock } }
      - { route: GET /b, apiKeyRequired: true, integration: { type: mock } }
      - { route: GET /c, integration: { type: mock } }
  - name: other
    type: http
    basePath: /other
    stages: { $default: {} }
    routes:
      - { route: GET /x, integration: { type: mock } }
`,
      { clock },
    );
    try {
      const k1 = await createKey(t.gw, { name: 'k1', plans: ['basic'] });
      const k2 = await createKey(t.gw, { name: 'k2', plans: ['basic'] });
      const hit = async (path: string, key?: string) => {
        const r = await call(t.port, 'GET', path, key ? { 'x-api-key': key } : {});
        return r.status === 200 ? 'ok' : /^"(\w+)"/.exec(r.headers['ratelimit-policy'] as string)?.[1];
      };
      // k1: the plan allows 2, the route 3.
      assert.deepEqual(
        [await hit('/prod/a', k1.value), await hit('/prod/a', k1.value), await hit('/prod/a', k1.value)],
        ['ok', 'ok', 'plan'],
      );
      // k2 has its own plan bucket; the route bucket (3) runs out first.
      assert.deepEqual([await hit('/prod/a', k2.value), await hit('/prod/a', k2.value)], ['ok', 'route']);
      // The plan's per-route limit replaces the plan throttle on /b: burst 1 per key.
      assert.deepEqual([await hit('/prod/b', k2.value), await hit('/prod/b', k2.value)], ['ok', 'plan']);
      // /c has no key: stage bucket (6) has given 4 so far (3 on /a, 1 on /b).
      assert.deepEqual([await hit('/prod/c'), await hit('/prod/c'), await hit('/prod/c')], ['ok', 'ok', 'stage']);
      // The global bucket (9) has given 6; the other API has no stage limit.
      assert.deepEqual(
        [await hit('/other/x'), await hit('/other/x'), await hit('/other/x'), await hit('/other/x')],
        ['ok', 'ok', 'ok', 'global'],
      );
    } finally {
      await t.close();
    }
  });

  test('buckets survive a reload (stable names), and follow the new limits', async () => {
    const clock = new ManualClock();
    const yaml = (burst: number) => `version: 1
apis:
  - name: pets
    type: http
    stages:
      $default: { throttle: { rate: 1, burst: ${burst} } }
    routes:
      - { route: GET /p, integration: { type: mock } }
`;
    const t = await startTestGateway(yaml(3), { clock });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await call(t.port, 'GET', '/p')).status, 200);
      assert.equal((await call(t.port, 'GET', '/p')).status, 429);
      await t.write(yaml(4));
      assert.equal((await t.gw.reload('test')).changed, true);
      const r = await call(t.port, 'GET', '/p');
      assert.equal(r.status, 200, 'the drained bucket now holds one more token under burst 4');
      assert.equal((await call(t.port, 'GET', '/p')).status, 429, 'and is empty again: the reload did not refill it');
    } finally {
      await t.close();
    }
  });

  test('rate accuracy end to end: 10k requests at 200 rps (ManualClock) against a 100 rps bucket admit 100 rps ±1%', async () => {
    const clock = new ManualClock();
    const t = await startTestGateway(
      `version: 1
apis:
  - name: pets
    type: http
    stages:
      $default: { throttle: { rate: 100, burst: 100 } }
    routes:
      - { route: GET /p, integration: { type: mock } }
`,
      { clock },
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      let ok = 0;
      for (let i = 0; i < 10_000; i++) {
        if ((await get(agent, t.port, '/p')).status === 200) ok++;
        clock.advance(5);
      }
      const expected = 100 * 50 + 100; // 50 s at 100 rps plus the initial burst
      assert.ok(Math.abs(ok - expected) <= expected * 0.01, `admitted ${ok}, expected ${expected} ±1%`);
    } finally {
      agent.destroy();
      await t.close();
    }
  });
});
