import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { call, type Reply } from '../helpers/http-call.js';
import { startTestGateway } from '../helpers/gateway.js';
import { admin, createKey } from './key-helpers.js';

const LIMIT_EXCEEDED = '{"message":"Limit Exceeded"}';

const config = (quota: string, extra = '') => `version: 1
usagePlans:
  metered:
    stages: { pets/prod: {} }
    quota: ${quota}
${extra}apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - { route: GET /p, apiKeyRequired: true, integration: { type: mock, statusCode: 200, body: ok } }
`;

describe('usage plan quotas', () => {
  test('DAY: 429 Limit Exceeded byte for byte after the limit; a new UTC day starts afresh', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 23, 59, 0));
    const t = await startTestGateway(config('{ limit: 3, period: DAY }'), { clock });
    try {
      const k = await createKey(t.gw, { name: 'q', plans: ['metered'] });
      const h = { 'x-api-key': k.value };
      const statuses: number[] = [];
      let last: Reply | undefined;
      for (let i = 0; i < 5; i++) {
        last = await call(t.port, 'GET', '/prod/p', h);
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      const r = last as Reply;
      assert.equal(r.body, LIMIT_EXCEEDED);
      assert.equal(r.headers['content-length'], String(LIMIT_EXCEEDED.length));
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['x-amzn-errortype'], 'LimitExceededException');
      assert.equal(r.headers['retry-after'], '60', 'seconds to the next period');
      clock.advance(59_999);
      assert.equal((await call(t.port, 'GET', '/prod/p', h)).status, 429, '1 ms before midnight');
      clock.advance(1);
      assert.deepEqual(
        [
          await call(t.port, 'GET', '/prod/p', h),
          await call(t.port, 'GET', '/prod/p', h),
          await call(t.port, 'GET', '/prod/p', h),
          await call(t.port, 'GET', '/prod/p', h),
        ].map((x) => x.status),
        [200, 200, 200, 429],
      );
      // Usage per day counts admitted requests only.
      const u = await admin(t.gw, 'GET', `/keys/${k.id}/usage?from=2026-01-15&to=2026-01-16`);
      assert.deepEqual(u.body.items, { '2026-01-15': 3, '2026-01-16': 3 });
      assert.equal(u.body.total, 6);
    } finally {
      await t.close();
    }
  });

  test('WEEK with offset 1 rolls over on Monday 00:00 UTC; MONTH with offset 9 on the 10th', async () => {
    // Sunday 18 January 2026, 12:00 UTC.
    const clock = new ManualClock(Date.UTC(2026, 0, 18, 12));
    const t = await startTestGateway(
      config(
        '{ limit: 2, period: WEEK, offset: 1 }',
        '  monthly:\n    stages: { pets/beta: {} }\n    quota: { limit: 1, period: MONTH, offset: 9 }\n',
      ).replace('stages: { prod: {} }', 'stages: { prod: {}, beta: {} }'),
      { clock },
    );
    try {
      const k = await createKey(t.gw, { name: 'w', plans: ['metered', 'monthly'] });
      const h = { 'x-api-key': k.value };
      const week = async () => (await call(t.port, 'GET', '/prod/p', h)).status;
      const month = async () => (await call(t.port, 'GET', '/beta/p', h)).status;
      assert.deepEqual([await week(), await week(), await week()], [200, 200, 429]);
      assert.deepEqual([await month(), await month()], [200, 429]);
      clock.set(Date.UTC(2026, 0, 18, 23, 59, 59, 999));
      assert.equal(await week(), 429);
      clock.set(Date.UTC(2026, 0, 19)); // Monday
      assert.deepEqual([await week(), await week(), await week()], [200, 200, 429]);
      assert.equal(await month(), 429, 'the month runs from the 10th');
      clock.set(Date.UTC(2026, 1, 9, 23, 59));
      assert.equal(await month(), 429);
      clock.set(Date.UTC(2026, 1, 10));
      assert.equal(await month(), 200);
    } finally {
      await t.close();
    }
  });

  test('throttled requests use no quota; quota counters survive a restart', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 10));
    const dataDir = await mkdtemp(join(tmpdir(), 'portico-quota-'));
    const yaml = config('{ limit: 4, period: MONTH }').replace(
      'stages: { prod: {} }',
      'stages: { prod: { throttle: { rate: 1, burst: 2 } } }',
    );
    try {
      const t = await startTestGateway(yaml, { clock, dataDir });
      let key: { id: string; value: string };
      try {
        key = await createKey(t.gw, { name: 'r', plans: ['metered'] });
        const h = { 'x-api-key': key.value };
        const s = [];
        for (let i = 0; i < 5; i++) s.push((await call(t.port, 'GET', '/prod/p', h)).status);
        assert.deepEqual(s, [200, 200, 429, 429, 429], 'throttled after the burst of 2');
      } finally {
        await t.close();
      }
      clock.advance(10_000);
      const t2 = await startTestGateway(yaml, { clock, dataDir });
      try {
        const h = { 'x-api-key': key.value };
        const s = [];
        for (let i = 0; i < 3; i++) {
          s.push((await call(t2.port, 'GET', '/prod/p', h)).status);
          clock.advance(1000);
        }
        assert.deepEqual(s, [200, 200, 429], 'the key and its 2 used requests came back; 2 of 4 left');
        assert.equal((await call(t2.port, 'GET', '/prod/p', h)).body, LIMIT_EXCEEDED);
      } finally {
        await t2.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
