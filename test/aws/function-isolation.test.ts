import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { writeHandlers } from './function-helpers.js';

const ISE = '{"message": "Internal server error"}';
const TIMEOUT = '{"message": "Endpoint request timed out"}';

describe('function integration: isolation (worker threads, timeout, memory limit)', () => {
  let h: Awaited<ReturnType<typeof writeHandlers>>;
  let t: TestGateway;

  before(async () => {
    h = await writeHandlers();
    const bad = h.path('bad.mjs');
    t = await startTestGateway(`
version: 1
apis:
  - name: iso
    type: rest
    stages: { test: {} }
    routes:
      - route: GET /throws
        integration: { type: function, handler: ${bad}#throws }
      - route: GET /exits
        integration: { type: function, handler: ${bad}#exits }
      - route: GET /loops
        integration: { type: function, handler: ${bad}#loops, timeoutMs: 300 }
      - route: GET /hog
        integration: { type: function, handler: ${bad}#hog, memoryMB: 32, timeoutMs: 60000 }
      - route: GET /missing-export
        integration: { type: function, handler: ${bad}#nope }
      - route: GET /not-a-function
        integration: { type: function, handler: ${bad}#notAFunction }
      - route: GET /slow
        integration: { type: function, handler: ${bad}#slow, maxConcurrency: 4 }
      - route: GET /ok
        integration: { type: function, handler: ${h.path('echo.mjs')}#sync }
`);
  });
  after(async () => {
    await t.close();
    await h.close();
  });

  const ok = async () => {
    const r = await call(t.port, 'GET', '/test/ok');
    assert.equal(r.status, 202);
    assert.equal(r.body, 'sync');
  };

  for (const [path, status, body, what] of [
    ['/test/throws', 502, ISE, 'a handler that throws'],
    ['/test/exits', 502, ISE, 'a handler that calls process.exit'],
    ['/test/loops', 504, TIMEOUT, 'a handler that loops forever (timeoutMs)'],
    ['/test/hog', 502, ISE, 'a handler that allocates past memoryMB'],
    ['/test/missing-export', 502, ISE, 'a missing export'],
    ['/test/not-a-function', 502, ISE, 'an export that is not a function'],
  ] as const) {
    it(`${what} → ${status}, while other requests keep being served`, async () => {
      // The bad invocation and good ones in flight together; then the same function works again for good ones.
      const [bad, ...good] = await Promise.all([
        call(t.port, 'GET', path),
        call(t.port, 'GET', '/test/ok'),
        call(t.port, 'GET', '/test/slow?ms=20'),
      ]);
      assert.equal(bad.status, status);
      assert.equal(bad.body, body);
      assert.equal(good[0]?.status, 202);
      assert.equal(good[1]?.status, 200);
      await ok();
      // The gateway process is alive and the bad function can be invoked again (a fresh worker).
      const again = await call(t.port, 'GET', path);
      assert.equal(again.status, status);
    });
  }

  it('concurrent invocations of one function run side by side in its pool', async () => {
    const rs = await Promise.all(Array.from({ length: 12 }, () => call(t.port, 'GET', '/test/slow?ms=30')));
    for (const r of rs) assert.equal(r.status, 200);
  });

  it('a crash does not fail invocations running in other workers of the same function', async () => {
    const rs = await Promise.all([
      call(t.port, 'GET', '/test/slow?ms=100'),
      call(t.port, 'GET', '/test/exits'),
      call(t.port, 'GET', '/test/slow?ms=100'),
      call(t.port, 'GET', '/test/loops'),
    ]);
    assert.deepEqual(
      rs.map((r) => r.status),
      [200, 502, 200, 504],
    );
  });
});
