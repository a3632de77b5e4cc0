import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessLogService } from '../../src/observability/access-log.js';
import { createTestCa, type Issued } from '../helpers/certs.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { httpsGet } from '../helpers/https-call.js';
import { writeHandlers } from '../aws/function-helpers.js';

const get = (port: number, host: string, path: string, client?: Issued, ca?: string) =>
  httpsGet(port, host, path, { ...(ca ? { ca } : {}), ...(client ? { client } : {}) });

describe('$context.identity.clientCert over a real mTLS listener', () => {
  let t: TestGateway;
  let h: Awaited<ReturnType<typeof writeHandlers>>;
  let port = 0;
  let alice: Issued;
  let serverCa: string;
  let expected: Record<string, unknown>;

  before(async () => {
    const ca = await createTestCa();
    const clients = await createTestCa('Client CA');
    const dir = await mkdtemp(join(tmpdir(), 'portico-cc-'));
    const leaf = await ca.leaf(['mtls.example.com', 'open.example.com']);
    serverCa = ca.cert;
    alice = await clients.client('alice');
    await writeFile(join(dir, 'c.pem'), leaf.cert);
    await writeFile(join(dir, 'c.key'), leaf.key);
    await writeFile(join(dir, 'trust.pem'), clients.cert);
    h = await writeHandlers();
    await writeFile(
      h.path('auth.mjs'),
      `const allow = { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] };
const seen = (e) => ({ v1: e.requestContext.identity.clientCert?.subjectDN ?? 'none',
  v2: e.requestContext.authentication?.clientCert?.serialNumber ?? 'none' });
export async function rest(e) { return { principalId: 'p', policyDocument: allow, context: seen(e) }; }
export async function http(e) { return { isAuthorized: true, context: seen(e) }; }
`,
    );
    const x = new X509Certificate(alice.cert);
    expected = {
      clientCertPem: x.toString(),
      // Checked against `openssl x509 -subject -issuer -nameopt RFC2253` of these certificates.
      subjectDN: 'O=Portico Clients,CN=alice',
      issuerDN: 'O=Portico Tests,CN=Client CA',
      serialNumber: alice.x509.serialNumber.match(/../g)!.join(':'),
      validity: { notBefore: x.validFrom, notAfter: x.validTo },
    };
    t = await startTestGateway(`version: 1
server:
  extraListeners:
    - listen: 127.0.0.1:0
      tls:
        certificates:
          - { cert: ${dir}/c.pem, key: ${dir}/c.key }
        mtls:
          - { domain: mtls.example.com, truststore: ${dir}/trust.pem }
observability:
  metrics: { processMetrics: false }
  accessLog: { enabled: true, destination: access.log, format: "$context.requestId|$context.identity.clientCert.subjectDN|$context.identity.clientCert.serialNumber|$context.identity.clientCert.validity.notAfter" }
apis:
  - name: r
    type: rest
    stages: { prod: {} }
    authorizers:
      a: { type: function, function: ${h.path('auth.mjs')}#rest, eventType: REQUEST, resultTtlSeconds: 0 }
    routes:
      - route: GET /tpl
        integration:
          type: mock
          body: '{"dn":"$context.identity.clientCert.subjectDN","issuer":"$context.identity.clientCert.issuerDN","serial":"$context.identity.clientCert.serialNumber","nb":"$context.identity.clientCert.validity.notBefore","na":"$context.identity.clientCert.validity.notAfter"}'
      - route: GET /fn
        authorizer: a
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
  - name: w
    type: http
    basePath: /w
    stages: { $default: {} }
    authorizers:
      a: { type: function, function: ${h.path('auth.mjs')}#http, eventType: REQUEST, resultTtlSeconds: 0 }
    routes:
      - route: GET /fn
        authorizer: a
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
`);
    port = Number(new URL(t.gw.extraUrls[0]!).port);
  });
  after(async () => {
    await t?.close();
    await h?.close();
  });

  it('mapping templates: $context.identity.clientCert.* in a mock response template', async () => {
    const r = await get(port, 'mtls.example.com', '/prod/tpl', alice, serverCa);
    assert.equal(r.status, 200, r.body);
    const e = expected as {
      subjectDN: string;
      issuerDN: string;
      serialNumber: string;
      validity: Record<string, string>;
    };
    assert.deepEqual(JSON.parse(r.body), {
      dn: e.subjectDN,
      issuer: e.issuerDN,
      serial: e.serialNumber,
      nb: e.validity.notBefore,
      na: e.validity.notAfter,
    });
    assert.match(e.validity.notAfter!, /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/);
    assert.match(e.serialNumber, /^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    // Without mTLS (a domain with no truststore) the variables are empty.
    const open = await get(port, 'open.example.com', '/prod/tpl', undefined, serverCa);
    assert.deepEqual(JSON.parse(open.body), { dn: '', issuer: '', serial: '', nb: '', na: '' });
  });

  it('REST function event (payload 1.0): requestContext.identity.clientCert; the REQUEST authorizer saw it', async () => {
    const r = await get(port, 'mtls.example.com', '/prod/fn', alice, serverCa);
    assert.equal(r.status, 200, r.body);
    const rc = JSON.parse(r.body).event.requestContext;
    assert.deepEqual(rc.identity.clientCert, expected);
    assert.equal(rc.authentication, undefined);
    assert.deepEqual(rc.authorizer, { principalId: 'p', v1: 'O=Portico Clients,CN=alice', v2: 'none' });
    const open = JSON.parse((await get(port, 'open.example.com', '/prod/fn', undefined, serverCa)).body);
    assert.equal(open.event.requestContext.identity.clientCert, undefined, 'no certificate, no clientCert');
  });

  it('HTTP API function event (payload 2.0): requestContext.authentication.clientCert; the authorizer saw it', async () => {
    const r = await get(port, 'mtls.example.com', '/w/fn', alice, serverCa);
    assert.equal(r.status, 200, r.body);
    const rc = JSON.parse(r.body).event.requestContext;
    assert.deepEqual(rc.authentication, { clientCert: expected });
    assert.deepEqual(rc.authorizer, {
      lambda: { v1: 'O=Portico Clients,CN=alice', v2: (expected as { serialNumber: string }).serialNumber },
    });
  });

  it('access log: the clientCert variables in the line', async () => {
    await get(port, 'mtls.example.com', '/prod/tpl', alice, serverCa);
    const log = t.gw.runtime.services.get('accessLog') as AccessLogService;
    const e = expected as { serialNumber: string; validity: Record<string, string> };
    let lines: string[] = [];
    for (let i = 0; i < 100; i++) {
      await log.flush();
      lines = (await readFile(join(t.dir, 'access.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      if (lines.some((l) => l.includes('alice'))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const line = lines.find((l) => l.includes('alice'));
    assert.ok(line, lines.join('\n'));
    assert.deepEqual(line.split('|').slice(1), ['O=Portico Clients,CN=alice', e.serialNumber, e.validity.notAfter]);
  });
});
