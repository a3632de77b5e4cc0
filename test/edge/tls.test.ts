import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { createTestCa, type TestCa } from '../helpers/certs.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let ca: TestCa;
let dir: string;
let t: TestGateway;

function handshake(port: number, servername: string, extra: Record<string, unknown> = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername, ca: ca.cert, ...extra }, () => resolve(s));
    s.on('error', reject);
  });
}

before(async () => {
  ca = await createTestCa();
  dir = await mkdtemp(join(tmpdir(), 'portico-tls-'));
  const main = await ca.leaf(['api.example.com']);
  const wild = await ca.leaf(['*.example.net']);
  await writeFile(join(dir, 'main.pem'), `${main.cert}\n${ca.cert}\n`);
  await writeFile(join(dir, 'main.key'), main.key);
  await writeFile(join(dir, 'wild.pem'), wild.cert);
  await writeFile(join(dir, 'wild.key'), wild.key);
  t = await startTestGateway(`
version: 1
server:
  extraListeners:
    - listen: 127.0.0.1:0
      tls:
        certificates:
          - { cert: ${dir}/main.pem, key: ${dir}/main.key }
          - { cert: ${dir}/wild.pem, key: ${dir}/wild.key }
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /hello
        integration: { type: mock, body: '{"ok":true}' }
`);
});
after(async () => t?.close());

test('SNI picks the certificate per host, wildcards included, the first is the default', async () => {
  const port = Number(new URL(t.gw.extraUrls[0]!).port);
  for (const [name, cn] of [
    ['api.example.com', 'api.example.com'],
    ['x.example.net', '*.example.net'],
    ['other.test', 'api.example.com'],
  ] as const) {
    const s = await handshake(port, name, { rejectUnauthorized: false });
    assert.equal(s.getPeerX509Certificate()?.subject, `CN=${cn}`, name);
    s.destroy();
  }
});

test('TLS 1.1 is refused; TLS 1.2 and 1.3 are accepted', async () => {
  const port = Number(new URL(t.gw.extraUrls[0]!).port);
  await assert.rejects(handshake(port, 'api.example.com', { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
  for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
    const s = await handshake(port, 'api.example.com', { maxVersion: v, minVersion: v });
    assert.equal(s.getProtocol(), v);
    s.destroy();
  }
});

test('a request over the TLS listener reaches the same APIs', async () => {
  const s = await handshake(Number(new URL(t.gw.extraUrls[0]!).port), 'api.example.com');
  s.write('GET /hello HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n');
  let text = '';
  for await (const c of s) text += String(c);
  assert.match(text, /^HTTP\/1.1 200/);
  assert.match(text, /\{"ok":true\}/);
});
