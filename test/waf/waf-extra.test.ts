import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { buildCountryMmdb } from './mmdb.js';

/** Sends headers with Expect: 100-continue, waits for the interim response, then the body; returns all bytes. */
function expectContinue(port: number, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sent = false;
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      );
    });
    const timer = setTimeout(() => sock.destroy(), 5000);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      if (!sent && Buffer.concat(chunks).toString('latin1').includes('100 Continue')) {
        sent = true;
        sock.write(body);
      }
    });
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

describe('WAF: geo database, Expect: 100-continue, CORS preflight', () => {
  let up: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    up = await startUpstream((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(String(n)));
    });
    gw = await startTestGateway(`
version: 1
apis:
  - name: app
    type: http
    stages: { $default: {} }
    cors: { allowOrigins: ["https://app.example.com"], allowMethods: [GET, POST] }
    waf:
      bodyInspectionLimitKb: 8
      rules:
        - name: no-evil-body
          priority: 0
          action: { block: {} }
          statement: { byteMatchStatement: { searchString: evil, fieldToMatch: { body: {} }, positionalConstraint: CONTAINS } }
        - name: no-preflight-from-bad-origin
          priority: 1
          action: { block: {} }
          statement:
            andStatement:
              statements:
                - byteMatchStatement: { searchString: OPTIONS, fieldToMatch: { method: {} }, positionalConstraint: EXACTLY }
                - byteMatchStatement: { searchString: bad.example, fieldToMatch: { singleHeader: { name: origin } }, positionalConstraint: CONTAINS }
        - name: geo-block
          priority: 2
          action: { block: {} }
          statement:
            andStatement:
              statements:
                - byteMatchStatement: { searchString: /geo, fieldToMatch: { uriPath: {} }, positionalConstraint: STARTS_WITH }
                - orStatement:
                    statements:
                      - geoMatchStatement: { countryCodes: [DE] }
                      - geoMatchStatement: { countryCodes: [US], forwardedIPConfig: { headerName: X-Real-IP, fallbackBehavior: NO_MATCH } }
    routes:
      - { route: "POST /up", integration: { type: http_proxy, uri: "${up.url}/up" } }
      - { route: "GET /geo", integration: { type: mock, body: geo } }
      - { route: "GET /cors", integration: { type: mock, body: cors } }
`);
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('without wafGeoDatabase, geo statements never match (the rest of the ACL works)', async () => {
    assert.equal((await call(gw.port, 'GET', '/geo')).status, 200);
    assert.equal((await call(gw.port, 'POST', '/up', {}, 'evil')).status, 403);
  });

  test('with a MaxMind database: the client IP and a forwarded IP are looked up', async () => {
    const db = join(gw.dir, 'country.mmdb');
    await writeFile(db, buildCountryMmdb({ '127.0.0.0/8': 'DE', '198.51.100.0/24': 'US' }));
    const original = await readFile(gw.configPath, 'utf8');
    await gw.write(`wafGeoDatabase: ${JSON.stringify(db)}\n${original}`);
    await gw.gw.reload();
    assert.equal((await call(gw.port, 'GET', '/geo')).status, 403, '127.0.0.1 is DE in the test database');
    // A new database is read on the next reload (the config text must change for a reload to compile).
    await writeFile(db, buildCountryMmdb({ '10.0.0.0/8': 'DE', '198.51.100.0/24': 'US' }));
    await gw.write(`wafGeoDatabase: ${JSON.stringify(db)}\n# new database\n${original}`);
    await gw.gw.reload();
    assert.equal((await call(gw.port, 'GET', '/geo')).status, 200, '127.0.0.1 has no country now');
    assert.equal(
      (await call(gw.port, 'GET', '/geo', { 'x-real-ip': '198.51.100.9' })).status,
      403,
      'forwarded IP in US',
    );
    assert.equal((await call(gw.port, 'GET', '/geo', { 'x-real-ip': '192.0.2.1' })).status, 200);
  });

  test('Expect: 100-continue with body inspection past the limit: one 100 Continue, whole body upstream', async () => {
    const body = Buffer.alloc(20 * 1024, 'a');
    const raw = await expectContinue(gw.port, '/up', body);
    assert.equal(raw.split('100 Continue').length - 1, 1, raw.slice(0, 200));
    assert.match(raw, /HTTP\/1\.1 200 OK/);
    assert.ok(raw.endsWith(String(body.length)), raw.slice(-50));
  });

  test('the WAF sees CORS preflights before CORS answers them', async () => {
    const ok = await call(gw.port, 'OPTIONS', '/cors', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'GET',
    });
    assert.equal(ok.status, 204);
    const bad = await call(gw.port, 'OPTIONS', '/cors', {
      origin: 'https://bad.example',
      'access-control-request-method': 'GET',
    });
    assert.equal(bad.status, 403);
    assert.deepEqual(JSON.parse(bad.body), { message: 'Forbidden' });
  });
});
