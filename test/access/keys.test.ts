import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { call } from '../helpers/http-call.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { admin, createKey } from './key-helpers.js';

const FORBIDDEN = '{"message":"Forbidden"}';

describe('API keys (seed scenario: apiKeyRequired → 403 without x-api-key, 200 with it)', () => {
  let up: TestUpstream;
  let t: TestGateway;
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));

  before(async () => {
    up = await startUpstream();
    t = await startTestGateway(
      `version: 1
usagePlans:
  basic:
    stages: { pets/prod: {} }
  other:
    stages: { pets/beta: {} }
apis:
  - name: pets
    type: rest
    stages: { prod: {}, beta: {} }
    routes:
      - route: GET /pets
        apiKeyRequired: true
        integration: { type: http_proxy, uri: "${up.url}/pets" }
      - route: GET /open
        integration: { type: mock, statusCode: 200, body: open }
  - name: web
    type: http
    basePath: /web
    apiKeyHeader: x-web-key
    stages: { $default: {} }
    routes:
      - route: GET /thing
        apiKeyRequired: true
        integration: { type: mock, statusCode: 200, body: thing }
`,
      { clock },
    );
  });
  after(async () => {
    await t?.close();
    await up?.close();
  });

  test('403 Forbidden without a key, byte for byte, with x-amzn-ErrorType; 200 with a key in the plan', async () => {
    const r = await call(t.port, 'GET', '/prod/pets');
    assert.equal(r.status, 403);
    assert.equal(r.body, FORBIDDEN);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['x-amzn-errortype'], 'ForbiddenException');
    assert.equal(r.headers['content-length'], String(FORBIDDEN.length));
    const { value } = await createKey(t.gw, { name: 'alice', plans: ['basic'] });
    const ok = await call(t.port, 'GET', '/prod/pets', { 'x-api-key': value });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).url, '/pets');
    assert.equal((await call(t.port, 'GET', '/prod/open')).status, 200, 'a route without apiKeyRequired needs no key');
  });

  test('every refusal is the same 403: unknown, empty, disabled, expired, not in a plan of this stage', async () => {
    const inPlan = await createKey(t.gw, { name: 'bob', plans: ['basic'] });
    const noPlan = await createKey(t.gw, { name: 'carol' });
    const otherStage = await createKey(t.gw, { name: 'dave', plans: ['other'] });
    const expiring = await createKey(t.gw, {
      name: 'erin',
      plans: ['basic'],
      expiresAt: new Date(clock.now() + 60_000).toISOString(),
    });
    const refused = async (headers: Record<string, string>, why: string) => {
      const r = await call(t.port, 'GET', '/prod/pets', headers);
      assert.equal(r.status, 403, why);
      assert.equal(r.body, FORBIDDEN, why);
      assert.equal(r.headers['x-amzn-errortype'], 'ForbiddenException', why);
    };
    await refused({ 'x-api-key': 'x'.repeat(40) }, 'unknown');
    await refused({ 'x-api-key': '' }, 'empty');
    await refused({ 'x-api-key': inPlan.value.slice(0, -1) }, 'a prefix of a value');
    await refused({ 'x-api-key': noPlan.value }, 'in no plan');
    await refused({ 'x-api-key': otherStage.value }, 'plan of another stage');
    assert.equal(
      (await call(t.port, 'GET', '/beta/pets', { 'x-api-key': otherStage.value })).status,
      200,
      'but fine on its stage',
    );
    assert.equal((await call(t.port, 'GET', '/prod/pets', { 'x-api-key': expiring.value })).status, 200);
    clock.advance(60_000);
    await refused({ 'x-api-key': expiring.value }, 'expired');
    assert.equal((await admin(t.gw, 'POST', `/keys/${inPlan.id}/disable`)).status, 200);
    await refused({ 'x-api-key': inPlan.value }, 'disabled');
    await admin(t.gw, 'POST', `/keys/${inPlan.id}/enable`);
    assert.equal((await call(t.port, 'GET', '/prod/pets', { 'x-api-key': inPlan.value })).status, 200, 'enabled again');
  });

  test('the key header name is configurable per API; http APIs answer the same body without x-amzn-ErrorType', async () => {
    await admin(t.gw, 'POST', '/keys', { name: 'unused' });
    const plans = await admin(t.gw, 'GET', '/usage-plans');
    assert.deepEqual(
      (plans.body.items as { name: string }[]).map((p) => p.name),
      ['basic', 'other'],
    );
    const r = await call(t.port, 'GET', '/web/thing', { 'x-api-key': 'whatever-whatever-whatever' });
    assert.equal(r.status, 403);
    assert.equal(r.body, FORBIDDEN);
    assert.equal(r.headers['x-amzn-errortype'], undefined);
  });
});
