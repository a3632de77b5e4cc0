import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../clock.js';
import { EmbeddedStore } from '../../store/embedded.js';
import { ChallengeBoard } from './challenge.js';
import { AcmeManager } from './manager.js';
import { acmeSchema } from './schema.js';
import { AcmeStore } from './store.js';
import { backoffMs, renewAt, renewalDecision } from './renewal.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'portico-acme-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const openStore = (clock: ManualClock) =>
  new EmbeddedStore({ file: join(dir, `s${++n}`, 'portico.db'), clock, sweepIntervalMs: 0 });

test('renewal decision: none stored → order; before notAfter − renewBeforeDays → keep; at and after it → order', () => {
  const notAfter = Date.UTC(2026, 5, 1);
  assert.equal(renewAt(notAfter, 30), notAfter - 30 * DAY);
  assert.equal(renewalDecision(undefined, 0, 30), 'order');
  assert.equal(renewalDecision({ notAfter }, notAfter - 30 * DAY - 1, 30), 'keep');
  assert.equal(renewalDecision({ notAfter }, notAfter - 30 * DAY, 30), 'order');
  assert.equal(renewalDecision({ notAfter }, notAfter + DAY, 30), 'order');
  assert.equal(renewalDecision({ notAfter }, notAfter - 8 * DAY, 7), 'keep');
});

test('backoff after failures doubles from the minimum up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(a, 60_000, 3_600_000)),
    [60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000],
  );
});

test('the order lease: one holder at a time, free again after release or once it lapses (store clock)', async () => {
  const clock = new ManualClock();
  const store = openStore(clock);
  const s = new AcmeStore(store);
  const until = clock.now() + 1000;
  assert.equal(await s.lease('a.example.com', until), true);
  assert.equal(await s.lease('a.example.com', until), false);
  assert.equal(await s.lease('b.example.com', until), true, 'per domain');
  await s.release('a.example.com', until);
  assert.equal(await s.lease('a.example.com', until), true);
  clock.advance(1001);
  assert.equal(await s.lease('a.example.com', clock.now() + 1000), true, 'a dead holder’s lease lapses');
  await store.close();
});

test('the account key is made once per directory; concurrent starts agree on one', async () => {
  const store = openStore(new ManualClock());
  const s = new AcmeStore(store);
  let made = 0;
  const create = async () => `key-${++made}`;
  const [a, b] = await Promise.all([
    s.account('https://ca.test/dir', 'a@b.test', create),
    s.account('https://ca.test/dir', 'a@b.test', create),
  ]);
  assert.equal(a.key, b.key);
  assert.equal((await s.account('https://ca.test/dir', 'a@b.test', create)).key, a.key);
  assert.notEqual((await s.account('https://other.test/dir', 'a@b.test', create)).key, a.key);
  await store.close();
});

test('a check while another node holds the lease neither orders nor contacts the CA', async () => {
  const clock = new ManualClock();
  const store = openStore(clock);
  const s = new AcmeStore(store);
  const config = acmeSchema.parse({
    directory: 'http://127.0.0.1:9/dir',
    email: 'ops@example.com',
    termsOfServiceAgreed: true,
    domains: ['a.example.com'],
  });
  const m = new AcmeManager({
    config,
    store: s,
    board: new ChallengeBoard(s, clock),
    clock,
    log: pino({ level: 'silent' }),
    name: 'data[0]',
    timing: { http: { timeoutMs: 2000, retries: 0, retryDelaySeconds: 0 } },
  });
  await s.lease('a.example.com', clock.now() + 60_000);
  assert.deepEqual(await m.check(), ['busy']);
  assert.equal(m.orders, 0);
  await s.release('a.example.com', clock.now() + 60_000);
  // Free: it orders (and fails here, port 9 is closed), with the reason kept for GET /acme.
  assert.deepEqual(await m.check(), ['failed']);
  assert.equal(m.orders, 1);
  assert.match(m.lastError ?? '', /a\.example\.com: .*ECONNREFUSED/);
  m.close();
  await store.close();
});

test('config: terms must be agreed, no wildcards, and a listener needs certificates or acme', async () => {
  const bad = acmeSchema.safeParse({ email: 'x@y.test', termsOfServiceAgreed: false, domains: ['*.example.com'] });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.ok(
    paths.some((p) => /^termsOfServiceAgreed: must be true/.test(p)),
    paths.join('\n'),
  );
  assert.ok(
    paths.some((p) => /^domains\.0: .*wildcards/.test(p)),
    paths.join('\n'),
  );
  const { tlsSchema } = await import('../tls/schema.js');
  const none = tlsSchema.safeParse({});
  assert.match(
    none.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(),
    /certificates: needs at least/,
  );
  assert.equal(
    tlsSchema.safeParse({ acme: { email: 'x@y.test', termsOfServiceAgreed: true, domains: ['a.b'] } }).success,
    true,
  );
});
