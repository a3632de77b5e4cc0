// The edge's HTTP → HTTPS redirect (status, Location with host, httpsPort and query, the method rule), HSTS (only on
// TLS listeners that configure it, max-age / includeSubDomains / preload as configured), and certificates and HSTS
// changed by a CONFIG reload (new handshakes get the new certificate, an open keep-alive connection keeps working).
// Real sockets and certificates generated here (docs/edge.md).
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { createTestCa, type TestCa } from '../helpers/certs.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const API = `apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /hello
        integration: { type: mock, body: '{"ok":true}' }
`;

let ca: TestCa;
let dir: string;
before(async () => {
  ca = await createTestCa();
  dir = await mkdtemp(join(tmpdir(), 'portico-tls-redirect-'));
  for (const name of ['one', 'two']) {
    const leaf = await ca.leaf(['api.example.com']);
    await writeFile(join(dir, `${name}.pem`), leaf.cert);
    await writeFile(join(dir, `${name}.key`), leaf.key);
  }
});
after(() => rm(dir, { recursive: true, force: true }));

const tlsBlock = (name: string, hsts?: string) =>
  `      tls:\n        certificates:\n          - { cert: ${dir}/${name}.pem, key: ${dir}/${name}.key }\n${hsts ? `        hsts: ${hsts}\n` : ''}`;

/** One plain HTTP request: status, headers, body (the agent is off, so each is its own connection). */
function plain(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function open(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'api.example.com', ca: ca.cert }, () => resolve(s));
    s.on('error', reject);
  });
}

/** One keep-alive request on an open TLS socket: the response head and body as text. */
function ask(s: TLSSocket, path = '/hello'): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += String(c);
      const m = /\r\ncontent-length: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(text);
      if (m && text.length >= m.index + m[0].length + Number(m[1])) {
        s.off('data', onData);
        resolve(text);
      }
    };
    s.on('data', onData);
    s.write(`GET ${path} HTTP/1.1\r\nHost: api.example.com\r\n\r\n`);
  });
}

const portOf = (url: string) => Number(new URL(url).port);

describe('HTTP → HTTPS redirect', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway(
      `version: 1\nserver:\n  extraListeners:\n    - listen: 127.0.0.1:0\n      redirectToHttps: 301\n    - listen: 127.0.0.1:0\n      redirectToHttps: 308\n      httpsPort: 8443\n    - listen: 127.0.0.1:0\n      redirectToHttps: 301\n      httpsPort: 443\n${API}`,
    );
  });
  after(() => t.close());

  test('GET: the configured status, Location https://host/path?query (port 443 left out, any other written)', async () => {
    const [p301, p308, p443] = t.gw.extraUrls.map(portOf);
    const a = await plain(p301!, 'GET', '/hello/x?b=2&a=1', { host: 'api.example.com:8080' });
    assert.equal(a.status, 301);
    assert.equal(a.headers.location, 'https://api.example.com/hello/x?b=2&a=1');
    assert.equal(a.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP (RFC 6797 §7.2)');
    const b = await plain(p308!, 'GET', '/hello?q=%20x', { host: 'api.example.com' });
    assert.equal(b.status, 308);
    assert.equal(b.headers.location, 'https://api.example.com:8443/hello?q=%20x');
    const c = await plain(p443!, 'GET', '/', { host: 'api.example.com:80' });
    assert.equal(c.headers.location, 'https://api.example.com/');
    assert.equal((await plain(p301!, 'GET', '/', { host: '[::1]:8080' })).headers.location, 'https://[::1]/');
  });

  test('non-GET: 308 even when 301 is configured (as Traefik), so the method and body are kept; never served', async () => {
    const [p301, p308] = t.gw.extraUrls.map(portOf);
    for (const method of ['POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']) {
      const r = await plain(
        p301!,
        method,
        '/hello?x=1',
        { host: 'api.example.com', 'content-type': 'text/plain' },
        method === 'HEAD' ? undefined : 'body',
      );
      assert.equal(r.status, 308, method);
      assert.equal(r.headers.location, 'https://api.example.com/hello?x=1', method);
      assert.doesNotMatch(r.body, /ok/, `${method} never reaches the API`);
    }
    assert.equal((await plain(p308!, 'POST', '/hello', { host: 'h.test' }, 'x')).status, 308);
    assert.equal((await plain(p301!, 'GET', '/hello', { host: 'h.test' })).status, 301);
  });

  test('no usable Host: 400, no redirect to an attacker-chosen place', async () => {
    const [p301] = t.gw.extraUrls.map(portOf);
    const bare = await rawRequest(p301!, 'GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.match(bare, /^HTTP\/1.1 400 /, 'no Host at all');
    assert.doesNotMatch(bare, /\r\nlocation:/i);
    for (const host of ['evil.test/x', 'a@b.test', 'a\\b']) {
      const r = await plain(p301!, 'GET', '/hello', { host });
      assert.equal(r.status, 400, JSON.stringify(host));
      assert.equal(r.headers.location, undefined);
    }
  });
});

describe('HSTS', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway(
      `version: 1\nserver:\n  extraListeners:\n    - listen: 127.0.0.1:0\n${tlsBlock('one', '{ maxAgeSeconds: 600, includeSubDomains: true, preload: true }')}    - listen: 127.0.0.1:0\n${tlsBlock('one', '{}')}    - listen: 127.0.0.1:0\n${tlsBlock('one')}${API}`,
    );
  });
  after(() => t.close());

  test('on every response of a TLS listener that configures it, as configured; not elsewhere', async () => {
    const [full, defaults, none] = t.gw.extraUrls.map(portOf);
    const s = await open(full!);
    const ok = await ask(s);
    assert.match(ok, /^HTTP\/1.1 200/);
    assert.match(ok, /\r\nstrict-transport-security: max-age=600; includeSubDomains; preload\r\n/i);
    const missing = await ask(s, '/nope');
    assert.match(missing, /^HTTP\/1.1 404/);
    assert.match(
      missing,
      /\r\nstrict-transport-security: max-age=600; includeSubDomains; preload\r\n/i,
      'gateway responses too',
    );
    s.destroy();
    const d = await open(defaults!);
    assert.match(await ask(d), /\r\nstrict-transport-security: max-age=31536000\r\n/i, 'defaults: a year, no flags');
    d.destroy();
    const n = await open(none!);
    assert.doesNotMatch(await ask(n), /strict-transport-security/i, 'not configured: no header');
    n.destroy();
    const h = await plain(t.port, 'GET', '/hello', { host: 'api.example.com' });
    assert.equal(h.status, 200);
    assert.equal(h.headers['strict-transport-security'], undefined, 'never on plain HTTP (server.listen)');
  });
});

describe('a config reload', () => {
  test('new certificate in the config: new handshakes get it, an open keep-alive connection keeps working; HSTS follows', async () => {
    const config = (name: string, hsts?: string) =>
      `version: 1\nserver:\n  extraListeners:\n    - listen: 127.0.0.1:0\n${tlsBlock(name, hsts)}${API}`;
    const t = await startTestGateway(config('one'));
    try {
      const port = portOf(t.gw.extraUrls[0]!);
      const kept = await open(port);
      assert.doesNotMatch(await ask(kept), /strict-transport-security/i);
      const first = kept.getPeerX509Certificate()!.serialNumber;
      await t.write(config('two', '{ maxAgeSeconds: 60 }'));
      assert.equal((await t.gw.reload('test')).ok, true);
      const fresh = await open(port);
      assert.notEqual(fresh.getPeerX509Certificate()!.serialNumber, first, 'a new handshake gets the new certificate');
      assert.match(await ask(fresh), /\r\nstrict-transport-security: max-age=60\r\n/i);
      fresh.destroy();
      const again = await ask(kept);
      assert.match(again, /^HTTP\/1.1 200/, 'the open connection survived the reload');
      kept.destroy();
      // A reload whose key does not match its certificate: logged, and the certificates serving stay (docs/edge.md).
      const second = (await open(port)).getPeerX509Certificate()!.serialNumber;
      await t.write(config('one').replace(`${dir}/one.key`, `${dir}/two.key`));
      await t.gw.reload('test');
      const after = await open(port);
      assert.equal(after.getPeerX509Certificate()!.serialNumber, second, 'the previous certificate keeps serving');
      assert.match(await ask(after), /^HTTP\/1.1 200/);
      after.destroy();
    } finally {
      await t.close();
    }
  });
});
