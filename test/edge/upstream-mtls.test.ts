import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestCa } from '../helpers/certs.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

test('upstream tls: a client certificate towards an HTTPS target that requires one, verified against caFile', async () => {
  const ca = await createTestCa();
  const clients = await createTestCa('Client CA');
  const leaf = await ca.leaf(['localhost']);
  const me = await clients.client('gateway');
  const dir = await mkdtemp(join(tmpdir(), 'portico-umtls-'));
  await writeFile(join(dir, 'ca.pem'), ca.cert);
  await writeFile(join(dir, 'me.pem'), me.cert);
  await writeFile(join(dir, 'me.key'), me.key);
  const server: Server = createServer(
    { cert: leaf.cert, key: leaf.key, ca: clients.cert, requestCert: true, rejectUnauthorized: true },
    (req, res) =>
      res.end(JSON.stringify({ cn: (req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN })),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const cfg = (tls: string) => `version: 1
upstreams:
  u:
    targets: [{ url: "https://127.0.0.1:${port}" }]
    tls: { ${tls} }
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /x
        integration: { type: http_proxy, upstream: u }
`;
  const base = `caFile: ${dir}/ca.pem, serverName: localhost`;
  try {
    const without = await startTestGateway(cfg(base));
    try {
      const r = await call(without.port, 'GET', '/x');
      assert.ok(r.status >= 500, `without the client certificate: ${r.status} ${r.body}`);
    } finally {
      await without.close();
    }
    const withCert = await startTestGateway(cfg(`${base}, certFile: ${dir}/me.pem, keyFile: ${dir}/me.key`));
    try {
      const r = await call(withCert.port, 'GET', '/x');
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { cn: 'gateway' });
    } finally {
      await withCert.close();
    }
    // The target's certificate is verified against caFile: another CA's file fails.
    await writeFile(join(dir, 'other.pem'), clients.cert);
    const wrong = await startTestGateway(
      cfg(`caFile: ${dir}/other.pem, serverName: localhost, certFile: ${dir}/me.pem, keyFile: ${dir}/me.key`),
    );
    try {
      assert.ok((await call(wrong.port, 'GET', '/x')).status >= 500);
    } finally {
      await wrong.close();
    }
  } finally {
    server.close();
  }
});
