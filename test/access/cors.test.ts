import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

const CORS_HEADERS = (h: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => k.startsWith('access-control-') || k === 'vary'));

describe('CORS', () => {
  let up: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    up = await startUpstream((_req, res) => {
      res.writeHead(200, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'DELETE',
        vary: 'Accept-Encoding',
        'content-type': 'text/plain',
      });
      res.end('backend');
    });
    gw = await startTestGateway(`
version: 1
apis:
  - name: app
    type: http
    stages: { $default: {} }
    cors:
      allowOrigins: [https://app.example.com, "https://*.example.org"]
      allowMethods: [GET, POST]
      allowHeaders: [authorization, content-type]
      exposeHeaders: [x-request-id]
      allowCredentials: true
      maxAge: 300
    routes:
      - { route: GET /items, integration: { type: http_proxy, uri: "${up.url}/items" } }
  - name: pub
    type: http
    basePath: /pub
    stages: { $default: {} }
    cors: { allowOrigins: ["*"], allowMethods: ["*"], allowHeaders: ["*"] }
    routes:
      - { route: GET /x, integration: { type: mock, body: x } }
`);
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('preflight is answered by the gateway (no OPTIONS route): 204 with the configured headers', async () => {
    const n = up.requests.length;
    const r = await call(gw.port, 'OPTIONS', '/items', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    assert.equal(r.status, 204);
    assert.equal(r.body, '');
    assert.deepEqual(CORS_HEADERS(r.headers), {
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'authorization,content-type',
      'access-control-expose-headers': 'x-request-id',
      'access-control-max-age': '300',
      vary: 'Origin',
    });
    assert.equal(up.requests.length, n);
    // preflight on a path with no route at all is answered too
    assert.equal(
      (
        await call(gw.port, 'OPTIONS', '/nowhere', {
          origin: 'https://a.example.org',
          'access-control-request-method': 'GET',
        })
      ).status,
      204,
    );
  });

  test('preflight from an origin not allowed: 204 without any CORS header', async () => {
    const r = await call(gw.port, 'OPTIONS', '/items', {
      origin: 'https://evil.example',
      'access-control-request-method': 'GET',
    });
    assert.equal(r.status, 204);
    assert.deepEqual(CORS_HEADERS(r.headers), {});
  });

  test('OPTIONS without Access-Control-Request-Method is routed normally', async () => {
    const r = await call(gw.port, 'OPTIONS', '/items', { origin: 'https://app.example.com' });
    assert.equal(r.status, 404);
    assert.equal(r.body, '{"message":"Not Found"}');
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example.com');
  });

  test("actual request: the gateway's CORS headers replace the backend's", async () => {
    const r = await call(gw.port, 'GET', '/items', { origin: 'https://sub.example.org' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'backend');
    assert.deepEqual(CORS_HEADERS(r.headers), {
      'access-control-allow-origin': 'https://sub.example.org',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id',
      vary: 'Accept-Encoding, Origin',
    });
  });

  test("no Origin or a foreign Origin: the backend's CORS headers are still removed, none added", async () => {
    for (const headers of [{}, { origin: 'https://evil.example' }] as Record<string, string>[]) {
      const r = await call(gw.port, 'GET', '/items', headers);
      assert.equal(r.status, 200);
      assert.deepEqual(CORS_HEADERS(r.headers), { vary: 'Accept-Encoding' });
    }
  });

  test('wildcards without credentials answer "*"', async () => {
    const p = await call(gw.port, 'OPTIONS', '/pub/x', {
      origin: 'https://any.example',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'x-a',
    });
    assert.equal(p.status, 204);
    assert.deepEqual(CORS_HEADERS(p.headers), {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': '*',
      'access-control-allow-headers': '*',
    });
    const r = await call(gw.port, 'GET', '/pub/x', { origin: 'https://any.example' });
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers.vary, undefined);
  });

  test('allowCredentials with "*" origins is a config error', async () => {
    await assert.rejects(
      startTestGateway(`
version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    cors: { allowOrigins: ["*"], allowCredentials: true }
    routes: [{ route: GET /x, integration: { type: mock } }]
`),
      /apis\[0\]\.cors\.allowOrigins: allowCredentials cannot be combined with "\*" in allowOrigins/,
    );
  });
});
