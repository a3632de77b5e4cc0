import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { ManualClock } from '../../src/clock.js';
import { ACME } from '../../src/edge/acme/keys.js';
import { acmeTimingOverride } from '../../src/edge/acme/service.js';
import { startPebble, type Pebble } from '../helpers/pebble.js';
import { captureLog } from '../helpers/log-capture.js';
import { freePort } from '../helpers/redis.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const DOMAIN = 'acme.portico.test';
const DAY = 86_400_000;

function fetchPem(p: Pebble, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${p.managementUrl}${path}`, { ca: p.ca }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

function handshake(port: number, ca?: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({
      host: '127.0.0.1',
      port,
      servername: DOMAIN,
      ...(ca ? { ca } : { rejectUnauthorized: false }),
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** One keep-alive request on an open TLS socket: the status line. */
function requestOn(s: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += String(c);
      if (/\r\n\r\n[\s\S]*"ok":true/.test(text)) {
        s.off('data', onData);
        resolve(text.split('\r\n')[0]!);
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write(`GET /hello HTTP/1.1\r\nHost: ${DOMAIN}\r\n\r\n`);
  });
}

async function admin(t: TestGateway, path: string): Promise<unknown> {
  const res = await fetch(`${t.gw.adminUrl}${path}`, { headers: { authorization: `Bearer ${t.gw.adminToken}` } });
  return res.json();
}

/** Waits (bounded: 400 × 50 ms) until the TLS listener serves a certificate for DOMAIN. */
async function servedCert(port: number): Promise<X509Certificate> {
  for (let i = 0; i < 400; i++) {
    try {
      const s = await handshake(port);
      const c = s.getPeerX509Certificate()!;
      s.destroy();
      return c;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`no certificate served for ${DOMAIN}`);
}

function config(p: Pebble, httpPort: number, tlsPort: number): string {
  return `
version: 1
server:
  extraListeners:
    - listen: 127.0.0.1:${httpPort}
      redirectToHttps: 308
    - listen: 127.0.0.1:${tlsPort}
      tls:
        acme:
          directory: ${p.directory}
          email: ops@portico.test
          termsOfServiceAgreed: true
          domains: [${DOMAIN}]
          renewBeforeDays: 30
          caBundle: ${p.caFile}
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /hello
        integration: { type: mock, body: '{"ok":true}' }
`;
}

test('ACME against pebble: HTTP-01 through a redirecting listener, stored cert reused, renewal by the clock', async (t) => {
  const httpPort = await freePort();
  const pebble = await startPebble(t, httpPort);
  if (!pebble) return;
  const dataDir = await mkdtemp(join(tmpdir(), 'portico-acme-data-'));
  acmeTimingOverride.value = { retryMinMs: 200, retryMaxMs: 1000 };
  const clock = new ManualClock(Date.now());
  const tlsPort = await freePort();
  const { logger, lines } = captureLog();
  let gw: TestGateway | undefined;
  try {
    const yaml = config(pebble, httpPort, tlsPort);
    gw = await startTestGateway(yaml, { dataDir, clock, logger });

    // 1. Issued by pebble after it validated HTTP-01 against the redirecting plain listener.
    const first = await servedCert(tlsPort);
    assert.match(first.subjectAltName ?? '', new RegExp(`DNS:${DOMAIN}`));
    const intermediate = new X509Certificate(await fetchPem(pebble, '/intermediates/0'));
    assert.ok(first.checkIssued(intermediate), `issuer ${first.issuer} is pebble's intermediate`);
    assert.ok(first.verify(intermediate.publicKey));
    // The listener still redirects everything else.
    const redirect = await fetch(`http://127.0.0.1:${httpPort}/hello`, { redirect: 'manual' });
    assert.equal(redirect.status, 308);
    // The full chain verifies against pebble's root over a real handshake.
    const root = await fetchPem(pebble, '/roots/0');
    const verified = await handshake(tlsPort, root);
    assert.equal(verified.authorized, true);
    verified.destroy();
    const status = (await admin(gw, '/acme')) as Record<string, { orders: number; certificates: unknown[] }>;
    assert.equal(status['data[1]']!.orders, 1);
    assert.doesNotMatch(JSON.stringify(status), /PRIVATE KEY/);
    await gw.close();
    gw = undefined;

    // 2. Restart with the same store and the CA down: the stored certificate serves, no order.
    await pebble.stop();
    gw = await startTestGateway(yaml, { dataDir, clock, logger });
    const again = await servedCert(tlsPort);
    assert.equal(again.serialNumber, first.serialNumber);
    const after = (await admin(gw, '/acme')) as Record<string, { orders: number }>;
    assert.equal(after['data[1]']!.orders, 0);
    await pebble.start();

    // 3. Renewal: not due a day before the threshold; due once the clock passes it.
    const keepAlive = await handshake(tlsPort);
    assert.match(await requestOn(keepAlive), /^HTTP\/1.1 200/);
    const notAfter = Date.parse(first.validTo);
    clock.set(notAfter - 31 * DAY);
    const acme = gw.gw.runtime.services.get(ACME)!;
    await acme.checkNow();
    assert.equal((await servedCert(tlsPort)).serialNumber, first.serialNumber);
    clock.set(notAfter - 29 * DAY);
    await acme.checkNow();
    const renewed = await servedCert(tlsPort);
    assert.notEqual(renewed.serialNumber, first.serialNumber);
    assert.match(renewed.subjectAltName ?? '', new RegExp(`DNS:${DOMAIN}`));
    const renewStatus = (await admin(gw, '/acme')) as Record<string, { orders: number }>;
    assert.equal(renewStatus['data[1]']!.orders, 1);
    // The connection opened before the renewal keeps its certificate and still serves.
    assert.match(await requestOn(keepAlive), /^HTTP\/1.1 200/);
    assert.equal(keepAlive.getPeerX509Certificate()!.serialNumber, first.serialNumber);
    keepAlive.destroy();
    // Two orders in all (the first start, the renewal), each logged; no private key in the log.
    assert.equal(lines.filter((l) => l.msg === 'acme: ordering a certificate').length, 2);
    assert.deepEqual(
      lines.filter((l) => l.msg === 'acme: ordering a certificate').map((l) => l.why),
      ['new', 'renewal'],
    );
    assert.doesNotMatch(JSON.stringify(lines), /PRIVATE KEY/);
  } finally {
    acmeTimingOverride.value = undefined;
    await gw?.close();
    await pebble.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
