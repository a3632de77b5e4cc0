import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeHandlers } from '../aws/function-helpers.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

// Issue 16: `X-HTTP-Method-Override: DELETE` on a GET reached the backend, on a route where a real
// DELETE needs a key; so did X-Original-URL and X-Rewrite-URL (docs/security.md#headers).

const OVERRIDES: Record<string, string> = {
  'X-HTTP-Method-Override': 'DELETE',
  'X-HTTP-Method': 'DELETE',
  'X-Method-Override': 'DELETE',
  'X-Original-URL': '/admin/drop',
  'X-Rewrite-URL': '/admin/drop',
};
const NAMES = Object.keys(OVERRIDES).map((n) => n.toLowerCase());

describe('method and URL override headers reach backends', () => {
  let up: TestUpstream;
  let h: Awaited<ReturnType<typeof writeHandlers>>;
  let t: TestGateway;

  before(async () => {
    up = await startUpstream();
    h = await writeHandlers();
    const routes = (prefix: string) => `
      - route: GET /${prefix}/uri/{id}
        integration: { type: http_proxy, uri: "${up.url}/items/{id}" }
      - route: DELETE /${prefix}/uri/{id}
        apiKeyRequired: true
        integration: { type: http_proxy, uri: "${up.url}/items/{id}" }
      - route: GET /${prefix}/named/{proxy+}
        integration: { type: http_proxy, upstream: items }
      - route: GET /${prefix}/fn
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
      - route: GET /${prefix}/fn1
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler, payloadFormatVersion: '1.0' }`;
    t = await startTestGateway(`
version: 1
upstreams:
  items: { targets: [{ url: "${up.url}" }] }
apis:
  - name: strict
    type: http
    basePath: /s
    stages: { $default: {} }
    routes:${routes('x')}
  - name: keeps
    type: http
    basePath: /k
    forwardOverrideHeaders: true
    stages: { $default: {} }
    routes:${routes('x')}
`);
  });
  after(async () => {
    await t.close();
    await h.close();
    await up.close();
  });

  it('are stripped before an http_proxy URI integration by default', async () => {
    const before = up.requests.length;
    const r = await call(t.port, 'GET', '/s/x/uri/7', OVERRIDES);
    assert.equal(r.status, 200);
    const seen = up.requests[before]!;
    assert.equal(seen.method, 'GET');
    for (const n of NAMES) assert.equal(seen.headers[n], undefined, `${n} reached the upstream`);
    // The real DELETE still needs its key.
    assert.equal((await call(t.port, 'DELETE', '/s/x/uri/7')).status, 403);
  });

  it('are stripped before a named upstream by default', async () => {
    const before = up.requests.length;
    const r = await call(t.port, 'GET', '/s/x/named/a/b', OVERRIDES);
    assert.equal(r.status, 200);
    const seen = up.requests[before]!;
    for (const n of NAMES) assert.equal(seen.headers[n], undefined, `${n} reached the upstream`);
  });

  it('are left out of the function event (payload 2.0 and 1.0) by default', async () => {
    for (const path of ['/s/x/fn', '/s/x/fn1']) {
      const r = await call(t.port, 'GET', path, OVERRIDES);
      assert.equal(r.status, 200, r.body);
      const { event } = JSON.parse(r.body) as {
        event: { headers: Record<string, string>; multiValueHeaders?: Record<string, string[]> };
      };
      const names = Object.keys(event.headers).map((n) => n.toLowerCase());
      for (const n of NAMES) assert.ok(!names.includes(n), `${n} in the ${path} event`);
      if (event.multiValueHeaders)
        for (const n of NAMES)
          assert.ok(
            !Object.keys(event.multiValueHeaders)
              .map((k) => k.toLowerCase())
              .includes(n),
          );
    }
  });

  it('are kept, as AWS does, for an API with forwardOverrideHeaders: true', async () => {
    for (const path of ['/k/x/uri/7', '/k/x/named/a']) {
      const before = up.requests.length;
      assert.equal((await call(t.port, 'GET', path, OVERRIDES)).status, 200);
      const seen = up.requests[before]!;
      for (const [name, value] of Object.entries(OVERRIDES)) assert.equal(seen.headers[name.toLowerCase()], value);
    }
    const r = await call(t.port, 'GET', '/k/x/fn', OVERRIDES);
    const { event } = JSON.parse(r.body) as { event: { headers: Record<string, string> } };
    assert.equal(event.headers['x-http-method-override'], 'DELETE');
  });
});
