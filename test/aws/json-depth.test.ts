import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import * as bodyThreads from '../../src/validation/body-threads.js';

const ADMIN_TOKEN = 'json-depth-admin-token-0123456789';
/** A 9 MB `[[[…]]]`: 4.5 M levels. */
const BOMB = '['.repeat(4.5 * 1024 * 1024) + ']'.repeat(4.5 * 1024 * 1024);
const JSON_CT = { 'content-type': 'application/json' };

describe('bodies Portico parses: nesting is bounded before the parse (server.limits.maxJsonDepth)', () => {
  let up: TestUpstream;
  let t: TestGateway;

  before(async () => {
    up = await startUpstream();
    t = await startTestGateway(`
version: 1
admin: { token: ${ADMIN_TOKEN} }
upstreams: { svc: { targets: [{ url: "${up.url}" }], retries: { attempts: 0 }, outlierDetection: { enabled: false } } }
apis:
  - name: v
    type: rest
    stages: { test: {} }
    models:
      Item: { type: object, required: [id], properties: { id: { type: integer } } }
      Items: { type: array, items: { $ref: '#/models/Item' } }
    routes:
      - route: POST /items
        integration: { type: mock, statusCode: 200, body: items }
        requestValidation: { bodyModel: Items }
      # A recursive schema: the validator walks the body as deep as it nests.
      - route: POST /nested
        integration: { type: mock, statusCode: 200, body: fine }
        requestValidation:
          bodySchema: { type: array, items: { $ref: '#' } }
      - route: GET /ping
        integration: { type: mock, statusCode: 200, body: pong }
`);
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  it('deeply nested JSON on a validated route answers 400, not 500', async () => {
    const r = await call(t.port, 'POST', '/test/nested', JSON_CT, BOMB);
    assert.equal(r.status, 400);
    assert.equal(r.body, '{"message":"Invalid request body"}');
    assert.equal(r.headers['x-amzn-errortype'], 'BadRequestException');
    // Four such bodies in flight; a request on another connection is still answered.
    const bombs = Array.from({ length: 4 }, () => call(t.port, 'POST', '/test/nested', JSON_CT, BOMB));
    const ping = await call(t.port, 'GET', '/test/ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.body, 'pong');
    for (const b of await Promise.all(bombs)) assert.equal(b.status, 400);
  });

  it('nesting at the bound (64) is parsed and validated; 65 is refused with the same 400', async () => {
    const at = await call(t.port, 'POST', '/test/nested', JSON_CT, '['.repeat(64) + ']'.repeat(64));
    assert.equal(at.status, 200);
    assert.equal(at.body, 'fine');
    const over = await call(t.port, 'POST', '/test/nested', JSON_CT, '['.repeat(65) + ']'.repeat(65));
    assert.equal(over.status, 400);
    assert.equal(over.body, '{"message":"Invalid request body"}');
  });

  it('a large body is parsed and validated off the event loop: other requests are answered meanwhile', async () => {
    // ~2 MB of 64-deep arrays: valid, and a JSON.parse + validation of hundreds of ms. On the event loop it
    // would be answered before the /ping sent after it was even read; on a worker thread /ping comes first.
    const unit = '['.repeat(63) + ']'.repeat(63);
    const body = '[' + Array.from({ length: Math.ceil((2 * 1024 * 1024) / unit.length) }, () => unit).join(',') + ']';
    const before = bodyThreads.offThreadBodies;
    const order: string[] = [];
    const big = call(t.port, 'POST', '/test/nested', JSON_CT, body).then((r) => {
      order.push('big');
      return r;
    });
    while (bodyThreads.offThreadBodies === before) await new Promise((r) => setImmediate(r));
    const ping = await call(t.port, 'GET', '/test/ping');
    order.push('ping');
    assert.equal(ping.status, 200);
    const r = await big;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'fine');
    assert.deepEqual(order, ['ping', 'big']);
    // The same answers as inline: an invalid large body is AWS's 400.
    const bad = await call(t.port, 'POST', '/test/nested', JSON_CT, '[' + '1,'.repeat(200_000) + '1]');
    assert.equal(bad.status, 400);
    assert.equal(bad.body, '{"message":"Invalid request body"}');
    const broken = await call(t.port, 'POST', '/test/nested', JSON_CT, '[' + '[],'.repeat(100_000));
    assert.equal(broken.status, 400);
    // A model that refers to another model, on the thread: valid passes, one bad item fails.
    const items = Array.from({ length: 20_000 }, (_, i) => ({ id: i }));
    const good = await call(t.port, 'POST', '/test/items', JSON_CT, JSON.stringify(items));
    assert.equal(good.body, 'items');
    items[19_999] = { id: 'x' as unknown as number };
    const wrong = await call(t.port, 'POST', '/test/items', JSON_CT, JSON.stringify(items));
    assert.equal(wrong.status, 400);
    assert.ok(bodyThreads.offThreadBodies >= before + 5);
  });

  it('the admin API answers 400 to an over-deep body', async () => {
    const admin = Number(new URL(t.gw.adminUrl as string).port);
    const body = '{"targets":' + '['.repeat(100) + ']'.repeat(100) + '}';
    const r = await call(
      admin,
      'PATCH',
      '/upstreams/svc/targets',
      { ...JSON_CT, authorization: `Bearer ${ADMIN_TOKEN}` },
      body,
    );
    assert.equal(r.status, 400);
    assert.match(r.body, /nests deeper than 64 \(server\.limits\.maxJsonDepth\)/);
  });
});
