import assert from 'node:assert/strict';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { createTestCa } from '../helpers/certs.js';
import { startTestGateway } from '../helpers/gateway.js';

const API = `apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /hello
        integration: { type: mock, body: '{"ok":true}' }
`;

function open(port: number, servername: string, extra: Record<string, unknown> = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...extra }, () => resolve(s));
    s.on('error', reject);
  });
}

/** One keep-alive request on an open socket: the status line. */
function ask(s: TLSSocket, host: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += String(c);
      if (/\r\n\r\n[\s\S]*\}/.test(text)) {
        s.off('data', onData);
        resolve(text);
      }
    };
    s.on('data', onData);
    s.write(`GET /hello HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  });
}

test('a changed PEM file is picked up for new handshakes; an open keep-alive connection keeps working', async () => {
  const ca = await createTestCa();
  const dir = await mkdtemp(join(tmpdir(), 'portico-tls-'));
  const one = await ca.leaf(['api.example.com']);
  await writeFile(join(dir, 'c.pem'), one.cert);
  await writeFile(join(dir, 'c.key'), one.key);
  const t = await startTestGateway(
    `version: 1\nserver:\n  extraListeners:\n    - listen: 127.0.0.1:0\n      tls:\n        certificates:\n          - { cert: ${dir}/c.pem, key: ${dir}/c.key }\n${API}`,
  );
  try {
    const port = Number(new URL(t.gw.extraUrls[0]!).port);
    const kept = await open(port, 'api.example.com');
    assert.match(await ask(kept, 'api.example.com'), /^HTTP\/1.1 200/);
    const serialOne = kept.getPeerX509Certificate()!.serialNumber;
    const two = await ca.leaf(['api.example.com']);
    // Key first, then the certificate by rename (as cert managers do).
    await writeFile(join(dir, 'c.key.new'), two.key);
    await writeFile(join(dir, 'c.pem.new'), two.cert);
    await rename(join(dir, 'c.key.new'), join(dir, 'c.key'));
    await rename(join(dir, 'c.pem.new'), join(dir, 'c.pem'));
    let serial = serialOne;
    for (let i = 0; i < 100 && serial === serialOne; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const s = await open(port, 'api.example.com');
      serial = s.getPeerX509Certificate()!.serialNumber;
      s.destroy();
    }
    assert.notEqual(serial, serialOne, 'new handshakes get the new certificate');
    assert.match(await ask(kept, 'api.example.com'), /^HTTP\/1.1 200/, 'the open connection survived the swap');
    kept.destroy();
  } finally {
    await t.close();
  }
});

test('mTLS on a custom domain: no or untrusted client certificate gets 403 Forbidden, a trusted one passes', async () => {
  const ca = await createTestCa();
  const clients = await createTestCa('Client CA');
  const other = await createTestCa('Other CA');
  const dir = await mkdtemp(join(tmpdir(), 'portico-tls-'));
  const leaf = await ca.leaf(['mtls.example.com', 'open.example.com']);
  await writeFile(join(dir, 'c.pem'), leaf.cert);
  await writeFile(join(dir, 'c.key'), leaf.key);
  await writeFile(join(dir, 'trust.pem'), clients.cert);
  const t = await startTestGateway(
    `version: 1\nserver:\n  extraListeners:\n    - listen: 127.0.0.1:0\n      tls:\n        certificates:\n          - { cert: ${dir}/c.pem, key: ${dir}/c.key }\n        mtls:\n          - { domain: mtls.example.com, truststore: ${dir}/trust.pem }\n${API}`,
  );
  try {
    const port = Number(new URL(t.gw.extraUrls[0]!).port);
    const good = await clients.client('alice');
    const bad = await other.client('mallory');
    const none = await open(port, 'mtls.example.com');
    assert.match(await ask(none, 'mtls.example.com'), /^HTTP\/1.1 403/);
    none.destroy();
    const untrusted = await open(port, 'mtls.example.com', { cert: bad.cert, key: bad.key });
    assert.match(await ask(untrusted, 'mtls.example.com'), /^HTTP\/1.1 403[\s\S]*"Forbidden"/);
    untrusted.destroy();
    const trusted = await open(port, 'mtls.example.com', { cert: good.cert, key: good.key });
    assert.match(await ask(trusted, 'mtls.example.com'), /^HTTP\/1.1 200/);
    trusted.destroy();
    const plain = await open(port, 'open.example.com');
    assert.match(await ask(plain, 'open.example.com'), /^HTTP\/1.1 200/, 'a domain without mTLS needs no certificate');
    plain.destroy();
  } finally {
    await t.close();
  }
});

test('a key that does not match its certificate, or a missing file, is a located error at start', async () => {
  const ca = await createTestCa();
  const dir = await mkdtemp(join(tmpdir(), 'portico-tls-'));
  const a = await ca.leaf(['a.example.com']);
  const b = await ca.leaf(['b.example.com']);
  await writeFile(join(dir, 'a.pem'), a.cert);
  await writeFile(join(dir, 'b.key'), b.key);
  await assert.rejects(
    startTestGateway(
      `version: 1\nserver:\n  extraListeners:\n    - listen: 127.0.0.1:0\n      tls:\n        certificates:\n          - { cert: ${dir}/a.pem, key: ${dir}/b.key }\n          - { cert: ${dir}/missing.pem, key: ${dir}/b.key }\n${API}`,
    ),
    (e: Error & { issues?: { path: (string | number)[]; message: string }[] }) => {
      const got = (e.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
      assert.ok(
        got.some((g) => /^server\.extraListeners\.0\.tls\.certificates\.0\.key: .*is not the private key/.test(g)),
        got.join('\n'),
      );
      assert.ok(
        got.some((g) =>
          /^server\.extraListeners\.0\.tls\.certificates\.1\.cert: cannot read certificate .*no such file/.test(g),
        ),
        got.join('\n'),
      );
      return true;
    },
  );
});
