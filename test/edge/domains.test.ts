import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestCa, type Issued } from '../helpers/certs.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { httpsGet } from '../helpers/https-call.js';

const apis = (up: string) => `apis:
  - name: shop
    type: rest
    stages:
      prod: { variables: { name: prod } }
      beta: { variables: { name: beta } }
    routes:
      - route: GET /
        integration: { type: mock, body: '{"stage":"$context.stage","base":"$context.customDomain.basePathMatched"}' }
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: '${up}/shop/\${stageVariables.name}/{proxy}' }
  - name: orders
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /whoami
        integration: { type: mock, body: '{"api":"$context.apiId","base":"$context.customDomain.basePathMatched"}' }
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: '${up}/orders/{proxy}' }
`;

describe('custom domains: base path mappings as API Gateway has them', () => {
  let t: TestGateway;
  let up: TestUpstream;
  let tlsPort = 0;
  let ca: string;
  let own: Issued;
  let listenerCert: Issued;
  let alice: Issued;

  before(async () => {
    up = await startUpstream();
    const root = await createTestCa();
    const clients = await createTestCa('Client CA');
    ca = root.cert;
    own = await root.leaf(['api.example.com']);
    listenerCert = await root.leaf(['*.example.com', 'api.example.com']);
    alice = await clients.client('alice');
    const dir = await mkdtemp(join(tmpdir(), 'portico-dom-'));
    await writeFile(join(dir, 'own.pem'), own.cert);
    await writeFile(join(dir, 'own.key'), own.key);
    await writeFile(join(dir, 'l.pem'), listenerCert.cert);
    await writeFile(join(dir, 'l.key'), listenerCert.key);
    await writeFile(join(dir, 'trust.pem'), clients.cert);
    t = await startTestGateway(`version: 1
server:
  extraListeners:
    - listen: 127.0.0.1:0
      tls:
        certificates:
          - { cert: ${dir}/l.pem, key: ${dir}/l.key }
domains:
  - name: api.example.com
    certificate: { cert: ${dir}/own.pem, key: ${dir}/own.key }
    basePathMappings:
      - { basePath: '', api: shop, stage: prod }
      - { basePath: v1, api: shop, stage: beta }
      - { basePath: v1/orders, api: orders, stage: $default }
  - name: rest.example.com
    basePathMappings:
      - { basePath: pets, api: shop, stage: prod }
  - name: http.example.com
    basePathMappings:
      - { basePath: v2, api: orders, stage: $default }
  - name: mtls.example.com
    mtls: { truststore: ${dir}/trust.pem }
    basePathMappings:
      - { basePath: '(none)', api: orders, stage: $default }
${apis(up.url)}`);
    tlsPort = Number(new URL(t.gw.extraUrls[0]!).port);
  });
  after(async () => {
    await t?.close();
    await up?.close();
  });

  const upstreamUrl = async (host: string, path: string) => {
    const r = await httpsGet(tlsPort, host, path, { ca });
    assert.equal(r.status, 200, `${host}${path}: ${r.body}`);
    return JSON.parse(r.body).url as string;
  };

  it('the base path is stripped, there is no stage segment, the root mapping serves the rest', async () => {
    assert.equal(await upstreamUrl('api.example.com', '/a/b'), '/shop/prod/a/b');
    assert.equal(await upstreamUrl('api.example.com', '/v1/x'), '/shop/beta/x');
    // The stage name is a plain path segment on a domain: no fall-through to the any-host /prod mount.
    assert.equal(await upstreamUrl('api.example.com', '/prod/a'), '/shop/prod/prod/a');
    assert.equal(await upstreamUrl('rest.example.com', '/pets/cat'), '/shop/prod/cat');
  });

  it('the longest base path wins, on segment boundaries; multi-level base paths', async () => {
    assert.equal(await upstreamUrl('api.example.com', '/v1/orders/42'), '/orders/42');
    assert.equal(await upstreamUrl('api.example.com', '/v1/ordersX'), '/shop/beta/ordersX');
    const r = await httpsGet(tlsPort, 'api.example.com', '/v1/orders/whoami', { ca });
    assert.deepEqual(JSON.parse(r.body), { api: 'orders', base: 'v1/orders' });
    const root = await httpsGet(tlsPort, 'api.example.com', '/', { ca });
    assert.deepEqual(JSON.parse(root.body), { stage: 'prod', base: '' });
  });

  it('an unmapped base path: 403 Missing Authentication Token on a REST-only domain, 404 Not Found otherwise', async () => {
    const rest = await httpsGet(tlsPort, 'rest.example.com', '/dogs/x', { ca });
    assert.equal(rest.status, 403);
    assert.deepEqual(JSON.parse(rest.body), { message: 'Missing Authentication Token' });
    const http = await httpsGet(tlsPort, 'http.example.com', '/orders/1', { ca });
    assert.equal(http.status, 404);
    assert.deepEqual(JSON.parse(http.body), { message: 'Not Found' });
    assert.equal(up.requests.filter((q) => q.url.includes('dogs')).length, 0);
  });

  it("the domain's own certificate by SNI; other names get the listener's", async () => {
    const a = await httpsGet(tlsPort, 'api.example.com', '/', { ca });
    assert.equal(a.peer.serialNumber.toLowerCase(), own.x509.serialNumber);
    const b = await httpsGet(tlsPort, 'rest.example.com', '/pets/x', { ca });
    assert.equal(b.peer.serialNumber.toLowerCase(), listenerCert.x509.serialNumber);
  });

  it("a domain's mTLS truststore: no certificate 403 Forbidden, a trusted one passes", async () => {
    const none = await httpsGet(tlsPort, 'mtls.example.com', '/x', { ca });
    assert.equal(none.status, 403);
    assert.deepEqual(JSON.parse(none.body), { message: 'Forbidden' });
    const ok = await httpsGet(tlsPort, 'mtls.example.com', '/x', { ca, client: alice });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(JSON.parse(ok.body).url, '/orders/x');
  });

  it('other hosts keep the APIs as mounted; domains work on the plain listener too', async () => {
    const r = await call(t.port, 'GET', '/prod/a');
    assert.equal(JSON.parse(r.body).url, '/shop/prod/a');
    const d = await call(t.port, 'GET', '/v1/x', { host: 'api.example.com' });
    assert.equal(JSON.parse(d.body).url, '/shop/beta/x');
  });
});

describe('custom domains: located config errors', () => {
  const issues = async (domains: string, extra = ''): Promise<string[]> => {
    try {
      const t = await startTestGateway(`version: 1\n${extra}domains:\n${domains}\n${apis('http://127.0.0.1:9')}`);
      await t.close();
      return [];
    } catch (e) {
      return ((e as { issues?: { path: (string | number)[]; message: string }[] }).issues ?? []).map(
        (i) => `${i.path.join('.')}: ${i.message}`,
      );
    }
  };

  it('unknown API, unknown stage, duplicate base path, bad base path', async () => {
    const got = await issues(`  - name: a.example.com
    basePathMappings:
      - { basePath: v1, api: nope, stage: prod }
      - { basePath: v2, api: shop, stage: gamma }
      - { basePath: v3, api: shop, stage: prod }
      - { basePath: /v3, api: orders, stage: $default }`);
    assert.ok(
      got.some((g) => /^domains\.0\.basePathMappings\.0\.api: no API named "nope"; APIs: shop, orders/.test(g)),
      got.join('\n'),
    );
    assert.ok(
      got.some((g) =>
        /^domains\.0\.basePathMappings\.1\.stage: API "shop" has no stage "gamma"; stages: prod, beta/.test(g),
      ),
      got.join('\n'),
    );
    assert.ok(
      got.some((g) =>
        /^domains\.0\.basePathMappings\.3\.basePath: base path "v3" is already mapped by basePathMappings\[2\]/.test(g),
      ),
      got.join('\n'),
    );
    const bad = await issues(
      `  - name: a.example.com\n    basePathMappings:\n      - { basePath: 'v1//x', api: shop, stage: prod }`,
    );
    assert.ok(
      bad.some((g) => g.startsWith('domains.0.basePathMappings.0.basePath: expected a base path')),
      bad.join('\n'),
    );
  });

  it('a domain certificate without a TLS listener, or a missing file, is located', async () => {
    const none = await issues(`  - name: a.example.com
    certificate: { cert: /nonexistent/a.pem, key: /nonexistent/a.key }
    basePathMappings: [{ api: shop, stage: prod }]`);
    assert.ok(
      none.some((g) => /^domains\.0\.certificate: needs a TLS listener/.test(g)),
      none.join('\n'),
    );
    const root = await createTestCa();
    const leaf = await root.leaf(['l.example.com']);
    const dir = await mkdtemp(join(tmpdir(), 'portico-dom-'));
    await writeFile(join(dir, 'l.pem'), leaf.cert);
    await writeFile(join(dir, 'l.key'), leaf.key);
    const missing = await issues(
      `  - name: a.example.com
    certificate: { cert: ${dir}/missing.pem, key: ${dir}/l.key }
    mtls: { truststore: ${dir}/nope.pem }
    basePathMappings: [{ api: shop, stage: prod }]`,
      `server:\n  extraListeners:\n    - listen: 127.0.0.1:0\n      tls:\n        certificates: [{ cert: ${dir}/l.pem, key: ${dir}/l.key }]\n`,
    );
    assert.ok(
      missing.some((g) => /^domains\.0\.certificate\.cert: cannot read certificate .*no such file/.test(g)),
      missing.join('\n'),
    );
    assert.ok(
      missing.some((g) => /^domains\.0\.mtls\.truststore: cannot read truststore/.test(g)),
      missing.join('\n'),
    );
  });
});
