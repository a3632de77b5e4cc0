import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { createTestCa } from '../helpers/certs.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { h2call, h2session } from '../helpers/h2-client.js';
import { requireBinary } from '../helpers/require-binary.js';

// HTTP/2 for clients (docs/edge.md#http2): ALPN h2 on a TLS listener and h2c with prior knowledge on
// a plain one, through the same pipeline as HTTP/1.1, with nghttp and node:http2 as clients.
// Limits and attacks (streams, header lists, rapid reset, CONTINUATION) are in http2-limits.test.ts.

const run = promisify(execFile);
const KEY = 'h2-test-key-0123456789abcdef';
let t: TestGateway;
let up: TestUpstream;
let ca: string;
let tlsUrl: string;
let h2cUrl: string;

before(async () => {
  const testCa = await createTestCa();
  ca = testCa.cert;
  const leaf = await testCa.leaf(['localhost']);
  const dir = await mkdtemp(join(tmpdir(), 'portico-h2-'));
  await writeFile(join(dir, 'leaf.pem'), leaf.cert);
  await writeFile(join(dir, 'leaf.key'), leaf.key);
  up = await startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      // Node's HTTP/1.1 server adds Connection and Keep-Alive: both must be gone over h2.
      res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes', 'transfer-encoding': 'chunked' });
      res.end(body);
    });
  });
  t = await startTestGateway(`
version: 1
apiKeys:
  k1: { value: ${KEY}, usagePlans: [plan] }
usagePlans:
  plan: { stages: { shop/prod: {} } }
server:
  extraListeners:
    - listen: 127.0.0.1:0
      tls: { certificates: [{ cert: ${dir}/leaf.pem, key: ${dir}/leaf.key }] }
    - listen: 127.0.0.1:0
      http2: { h2c: true }
apis:
  - name: shop
    type: rest
    stages:
      prod: {}
      slow: { throttle: { rate: 0.001, burst: 1 } }
    routes:
      - route: GET /keyed
        apiKeyRequired: true
        integration: { type: mock, statusCode: 200, body: keyed }
      - route: GET /thing
        integration: { type: mock, statusCode: 200, body: thing }
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /echo/{proxy+}
        integration: { type: http_proxy, uri: '${up.url}/{proxy}' }
`);
  [tlsUrl, h2cUrl] = t.gw.extraUrls as [string, string];
  tlsUrl = tlsUrl.replace('127.0.0.1', 'localhost');
});
after(async () => {
  await t?.close();
  await up?.close();
});

test('ALPN h2 on the TLS listener: GET and POST through a proxied route, no connection-specific headers', async () => {
  const s = h2session(tlsUrl, ca);
  try {
    const g = await h2call(s, '/echo/a/b?x=1', { headers: { 'x-client': 'c1' } });
    assert.equal(g.status, 201);
    assert.equal(g.headers['x-upstream'], 'yes');
    for (const h of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade'])
      assert.equal(g.headers[h], undefined, h);
    const seen = JSON.parse(g.body) as { method: string; url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/a/b?x=1');
    assert.equal(seen.headers['x-client'], 'c1');
    // :authority became the Host the pipeline routed by (X-Forwarded-Host); no pseudo-header reached the upstream.
    assert.match(seen.headers['x-forwarded-host'] ?? '', /^localhost:\d+$/);
    assert.ok(Object.keys(seen.headers).every((h) => !h.startsWith(':')));
    // A body without Content-Length (DATA frames only) is forwarded whole.
    const p = await h2call(s, '/echo/post', { method: 'POST', body: 'x'.repeat(100_000) });
    const echoed = JSON.parse(p.body) as { method: string; body: string };
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.body.length, 100_000);
    // Both on the one connection, as two streams.
    assert.equal(up.requests.length >= 2, true);
  } finally {
    s.close();
  }
});

test('HTTP/1.1 stays available on the same TLS listener (ALPN http/1.1 and no ALPN)', async () => {
  const { request } = await import('node:https');
  const status = await new Promise<number>((resolve, reject) => {
    const r = request(`${tlsUrl}/echo/h1`, { ca, servername: 'localhost' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end();
  });
  assert.equal(status, 201);
});

test('gateway responses over h2 have the status and body of HTTP/1.1 (403 key, 429 throttle, 403/404 route miss)', async () => {
  const s = h2session(tlsUrl, ca);
  try {
    const cases: [string, Record<string, string>, number][] = [
      ['/prod/keyed', {}, 403],
      ['/prod/keyed', { 'x-api-key': KEY }, 200],
      ['/prod/nope', {}, 403],
      ['/nothing-here', {}, 404],
    ];
    for (const [path, headers, status] of cases) {
      const h2 = await h2call(s, path, { headers });
      const h1 = await call(t.port, 'GET', path, { host: 'localhost', ...headers });
      assert.equal(h2.status, status, path);
      assert.equal(h2.status, h1.status, path);
      assert.equal(h2.body, h1.body, path);
      assert.equal(h2.headers['content-type'], h1.headers['content-type'], path);
      assert.equal(h2.headers.connection, undefined);
    }
    // Throttle (burst 1): the first passes, the second is 429 with the body HTTP/1.1 gets.
    assert.equal((await h2call(s, '/slow/thing')).status, 200);
    const limited = await h2call(s, '/slow/thing');
    const h1 = await call(t.port, 'GET', '/slow/thing', { host: 'localhost' });
    assert.equal(limited.status, 429);
    assert.equal(h1.status, 429);
    assert.equal(limited.body, h1.body);
  } finally {
    s.close();
  }
});

test('h2c with prior knowledge on the plain listener; HTTP/1.1 on it still works', async () => {
  const s = h2session(h2cUrl);
  try {
    const r = await h2call(s, '/prod/thing');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'thing');
    const seen = JSON.parse((await h2call(s, '/echo/c')).body) as { url: string };
    assert.equal(seen.url, '/c');
  } finally {
    s.close();
  }
  const port = Number(new URL(h2cUrl).port);
  const h1 = await call(port, 'GET', '/prod/thing', { host: 'localhost' });
  assert.equal(h1.status, 200);
  assert.equal(h1.body, 'thing');
  // A plain listener without h2c does not speak HTTP/2: the preface is a bad HTTP/1.1 request.
  const main = h2session(t.url);
  await assert.rejects(h2call(main, '/prod/thing'));
  main.close();
});

test('nghttp: GET and POST over TLS (ALPN h2) and h2c', async (tc) => {
  const nghttp = requireBinary(tc, 'nghttp', 'apt-get install nghttp2-client');
  if (!nghttp) return;
  const dir = await mkdtemp(join(tmpdir(), 'portico-h2-nghttp-'));
  await writeFile(join(dir, 'body.txt'), 'posted-by-nghttp');
  const get = await run(nghttp, ['-v', `${tlsUrl}/echo/ng?q=1`], { timeout: 10_000 });
  assert.match(get.stdout, /:status: 201/);
  assert.match(get.stdout, /"url":"\/ng\?q=1"/);
  assert.doesNotMatch(get.stdout, /^\s*\[.*\] recv \(stream_id=\d+\) (connection|keep-alive|transfer-encoding):/m);
  const post = await run(nghttp, ['-v', '-d', join(dir, 'body.txt'), `${tlsUrl}/echo/ng`], { timeout: 10_000 });
  assert.match(post.stdout, /"method":"POST"/);
  assert.match(post.stdout, /posted-by-nghttp/);
  const h2c = await run(nghttp, ['-v', `${h2cUrl}/prod/keyed`], { timeout: 10_000 });
  assert.match(h2c.stdout, /:status: 403/);
  assert.match(h2c.stdout, /Forbidden/);
});

test('h2load: 400 requests on 4 connections × 10 streams all succeed (a bounded load, no speed asserted)', async (tc) => {
  const h2load = requireBinary(tc, 'h2load', 'apt-get install nghttp2-client');
  if (!h2load) return;
  const out = await run(h2load, ['-n', '400', '-c', '4', '-m', '10', `${tlsUrl}/prod/thing`], { timeout: 20_000 });
  assert.match(out.stdout, /requests: 400 total, 400 started, 400 done, 400 succeeded, 0 failed, 0 errored/);
  assert.match(out.stdout, /status codes: 400 2xx/);
});
