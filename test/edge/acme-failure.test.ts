import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { ManualClock } from '../../src/clock.js';
import { acmeTimingOverride } from '../../src/edge/acme/service.js';
import { STORE } from '../../src/store/keys.js';
import { createTestCa } from '../helpers/certs.js';
import { captureLog } from '../helpers/log-capture.js';
import { freePort } from '../helpers/redis.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** ACME when the CA cannot be reached, and the HTTP-01 responder; no pebble needed. */
let t: TestGateway;
let dir: string;
const { logger, lines } = captureLog();
const clock = new ManualClock(Date.now());

function handshake(port: number, servername: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

before(async () => {
  const ca = await createTestCa();
  const fallback = await ca.leaf(['fallback.example']);
  dir = await mkdtemp(join(tmpdir(), 'portico-acme-fail-'));
  await writeFile(join(dir, 'fb.pem'), fallback.cert);
  await writeFile(join(dir, 'fb.key'), fallback.key);
  const closed = await freePort();
  acmeTimingOverride.value = {
    retryMinMs: 100,
    retryMaxMs: 400,
    http: { timeoutMs: 2000, retries: 0, retryDelaySeconds: 0 },
  };
  const acme = (domain: string) =>
    `{ directory: 'http://127.0.0.1:${closed}/dir', email: ops@example.com, termsOfServiceAgreed: true, domains: [${domain}] }`;
  t = await startTestGateway(
    `
version: 1
server:
  extraListeners:
    - listen: 127.0.0.1:0
      tls:
        certificates: [{ cert: ${dir}/fb.pem, key: ${dir}/fb.key }]
        acme: ${acme('a.example.com')}
    - listen: 127.0.0.1:0
      tls:
        acme: ${acme('b.example.com')}
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /hello
        integration: { type: mock, body: '{"ok":true}' }
`,
    { clock, logger },
  );
});
after(async () => {
  acmeTimingOverride.value = undefined;
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

const failures = () =>
  lines.filter(
    (l) =>
      l.msg === 'acme: getting a certificate failed; the current certificate (if any) keeps serving' &&
      l.domain === 'a.example.com',
  );

test('CA unreachable: the reason is logged, retried with doubling backoff, the fallback certificate serves', async () => {
  for (let i = 0; i < 200 && failures().length < 3; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(failures().length >= 3, `failures logged: ${failures().length}`);
  assert.match(String(failures()[0]!.reason), /ECONNREFUSED/);
  const waits = lines
    .filter((l) => l.msg === 'acme: retrying after a failure' && l.listener === 'data[0]')
    .map((l) => l.retryInMs);
  assert.deepEqual(waits.slice(0, 3), [100, 200, 400]);
  const port = Number(new URL(t.gw.extraUrls[0]!).port);
  const s = await handshake(port, 'a.example.com');
  assert.equal(s.getPeerX509Certificate()!.subject, 'CN=fallback.example');
  s.destroy();
  const res = await fetch(`${t.gw.adminUrl}/acme`, { headers: { authorization: `Bearer ${t.gw.adminToken}` } });
  const status = (await res.json()) as Record<string, { lastError?: string; failures: number }>;
  assert.match(status['data[0]']!.lastError ?? '', /ECONNREFUSED/);
});

test('a domain with no certificate yet (ACME only, not issued) fails the handshake', async () => {
  const port = Number(new URL(t.gw.extraUrls[1]!).port);
  await assert.rejects(handshake(port, 'b.example.com'));
  await assert.rejects(handshake(port, 'other.example'));
});

test('HTTP-01 answers on the plain listener before routing, also for a token another node stored', async () => {
  const store = t.gw.runtime.services.get(STORE)!;
  await store.put('acme', 'challenge:tok-1', { keyAuthorization: 'tok-1.thumb', expiresAt: clock.now() + 60_000 });
  await store.put('acme', 'challenge:old', { keyAuthorization: 'old.thumb', expiresAt: clock.now() - 1 });
  const at = (path: string, init?: RequestInit) => fetch(`${t.url}/.well-known/acme-challenge/${path}`, init);
  const ok = await at('tok-1');
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'text/plain');
  assert.equal(await ok.text(), 'tok-1.thumb');
  assert.equal((await at('unknown')).status, 404);
  assert.equal((await at('old')).status, 404, 'an expired challenge is not answered');
  assert.equal((await at('bad%2Ftoken')).status, 404);
  assert.equal((await at('tok-1', { method: 'POST' })).status, 405);
  // Everything else is routed as before.
  assert.equal((await fetch(`${t.url}/hello`)).status, 200);
});

test('no private key in the server log', () => {
  assert.ok(lines.length > 0);
  assert.doesNotMatch(JSON.stringify(lines), /PRIVATE KEY/);
});

test('config errors are located: a missing caBundle, terms not agreed, a listener with neither certificates nor acme', async () => {
  const yaml = (tls: string) => `
version: 1
apis: [{ name: a, type: http, stages: { $default: {} }, routes: [] }]
server:
  extraListeners:
    - listen: 127.0.0.1:0
      tls: ${tls}
`;
  await assert.rejects(
    startTestGateway(
      yaml(`{ acme: { email: a@b.test, termsOfServiceAgreed: true, domains: [a.b.test], caBundle: ${dir}/nope.pem } }`),
    ),
    /server\.extraListeners\[0\]\.tls\.acme\.caBundle: cannot read .*nope\.pem: no such file/,
  );
  await assert.rejects(
    startTestGateway(yaml(`{ acme: { email: a@b.test, termsOfServiceAgreed: false, domains: [a.b.test] } }`)),
    /server\.extraListeners\[0\]\.tls\.acme\.termsOfServiceAgreed: .*must be true/,
  );
  await assert.rejects(
    startTestGateway(yaml('{}')),
    /server\.extraListeners\[0\]\.tls\.certificates: needs at least one/,
  );
});
