// Issue #20, "Paths with //": `paths: strict` (default) answers 400; `paths: aws` routes `/stage//x`
// to resource `/x`, and the route that is authorised is the one whose path reaches the upstream.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

async function setup(t: TestContext, paths: string | undefined) {
  const up = await startUpstream();
  t.after(() => up.close());
  const u = up.url;
  const gw = await startTestGateway(`version: 1
admin: { enabled: false }
apis:
  - name: shop
    type: rest
${paths ? `    paths: ${paths}\n` : ''}    stages:
      prod: {}
    routes:
      - route: "GET /x"
        integration: { type: http_proxy, uri: "${u}/resource-x" }
      - route: "ANY /{proxy+}"
        integration: { type: http_proxy, uri: "${u}/open/{proxy}" }
`);
  t.after(() => gw.close());
  return { up, gw };
}

test('paths: strict (the default) answers 400 to //', async (t) => {
  const { up, gw } = await setup(t, undefined);
  const r = await call(gw.port, 'GET', '/prod//x');
  assert.equal(r.status, 400);
  assert.equal(up.requests.length, 0);
  assert.equal((await call(gw.port, 'GET', '/prod/x')).status, 200);
});

test('paths: aws routes /prod//x to resource /x, not to the greedy route', async (t) => {
  const { up, gw } = await setup(t, 'aws');
  const r = await call(gw.port, 'GET', '/prod//x');
  assert.equal(r.status, 200);
  assert.equal(up.requests.at(-1)?.url, '/resource-x');
  // Every other path rule still holds in aws mode.
  assert.equal((await call(gw.port, 'GET', '/prod//%2e%2e/x')).status, 400);
  assert.equal((await call(gw.port, 'GET', '/prod/a%2Fb')).status, 400);
});
