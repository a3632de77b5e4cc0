import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../clock.js';
import { loadConfigText } from '../features.js';
import { ConfigError } from '../config/errors.js';
import { createLogger } from '../logger.js';
import { CircuitBreaker, RetryBudget } from './breaker.js';
import { nextRefreshMs } from './dns.js';
import { statusMatcher } from './health.js';
import { UpstreamRuntime } from './runtime.js';
import { upstreamSchema } from './schema.js';

const log = createLogger('silent');
const cfg = (extra: Record<string, unknown> = {}, n = 4) =>
  upstreamSchema.parse({
    targets: Array.from({ length: n }, (_, i) => ({ url: `http://127.0.0.1:${i + 1}` })),
    ...extra,
  });

test('outlier detection: ejection after N consecutive failures, growing with each ejection, capped by maxEjectedPercent', async () => {
  const clock = new ManualClock();
  const rt = new UpstreamRuntime(
    'u',
    cfg({
      outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 2500, maxEjectedPercent: 50 },
    }),
    '/',
    { clock, log },
  );
  const [a, b, c] = rt.endpoints;
  const fail = (ep: typeof a, n: number) => {
    for (let i = 0; i < n; i++) rt.report(ep!, 'failure', 1);
  };
  fail(a, 2);
  rt.report(a!, 'success', 1); // a success resets the run
  fail(a, 2);
  assert.equal(rt.isEjected(a!, clock.now()), false);
  fail(a, 1);
  assert.equal(a!.ejectedUntil - clock.now(), 1000, 'first ejection: base');
  fail(b, 3);
  assert.ok(rt.isEjected(b!, clock.now()));
  fail(c, 3);
  assert.equal(rt.isEjected(c!, clock.now()), false, '50% of 4 targets: at most 2 ejected');
  for (let i = 0; i < 20; i++) assert.notEqual(rt.pick(undefined, undefined)?.id, a!.id);
  clock.advance(1000);
  assert.equal(rt.isEjected(a!, clock.now()), false, 'back after its ejection time');
  fail(a, 3);
  assert.equal(a!.ejectedUntil - clock.now(), 2000, 'second ejection: 2 × base');
  clock.advance(2000);
  fail(a, 3);
  assert.equal(a!.ejectedUntil - clock.now(), 2500, 'capped at maxEjectionMs');
  await rt.close();
});

test('a single-target upstream is never ejected; outlier detection can be turned off', async () => {
  const clock = new ManualClock();
  const one = new UpstreamRuntime('u', cfg({}, 1), '/', { clock, log });
  for (let i = 0; i < 20; i++) one.report(one.endpoints[0]!, 'failure', 1);
  assert.equal(one.isEjected(one.endpoints[0]!, clock.now()), false);
  const off = new UpstreamRuntime('u', cfg({ outlierDetection: { enabled: false } }), '/', { clock, log });
  for (let i = 0; i < 20; i++) off.report(off.endpoints[0]!, 'failure', 1);
  assert.equal(off.isEjected(off.endpoints[0]!, clock.now()), false);
  await Promise.all([one.close(), off.close()]);
});

test('runtime weights: atomic changes, drain, unknown target and bad weights rejected; a reload changing the weight wins', async () => {
  const clock = new ManualClock();
  const rt = new UpstreamRuntime('u', cfg({}, 2), '/', { clock, log });
  const [a, b] = rt.endpoints;
  assert.throws(
    () =>
      rt.setTargets([
        { url: a!.targetUrl, weight: 0 },
        { url: 'http://nope', weight: 1 },
      ]),
    /has no target http:\/\/nope/,
  );
  assert.equal(rt.effectiveWeight(a!, clock.now()), 1, 'nothing applied when one change is bad');
  assert.throws(() => rt.setTargets([{ url: a!.targetUrl, weight: 1.5 }]), /integer from 0 to 1000/);
  rt.setTargets([{ url: b!.targetUrl, drained: true }]);
  for (let i = 0; i < 10; i++) assert.equal(rt.pick(undefined, undefined), a);
  rt.setTargets([{ url: a!.targetUrl, weight: 7 }]);
  rt.update(cfg({}, 2), '/');
  assert.equal(rt.effectiveWeight(a!, clock.now()), 7, 'a reload that keeps the configured weight keeps the override');
  const changed = upstreamSchema.parse({ targets: [{ url: a!.targetUrl, weight: 3 }, { url: b!.targetUrl }] });
  rt.update(changed, '/');
  assert.equal(rt.effectiveWeight(a!, clock.now()), 3);
  assert.equal(rt.effectiveWeight(b!, clock.now()), 0, 'still drained');
  assert.equal(rt.endpoints[0], a, 'endpoint state objects survive the reload');
  await rt.close();
});

test('all targets unhealthy: fail open by default, 503 (no pick) with failOpen false', async () => {
  const clock = new ManualClock();
  for (const failOpen of [true, false]) {
    const rt = new UpstreamRuntime('u', cfg({ healthCheck: { intervalMs: 300000, timeoutMs: 10, failOpen } }, 2), '/', {
      clock,
      log,
    });
    for (const ep of rt.endpoints) ep.healthy = false;
    assert.equal(rt.pick(undefined, undefined) !== undefined, failOpen);
    rt.endpoints[1]!.healthy = true;
    assert.equal(rt.pick(undefined, undefined), rt.endpoints[1]);
    await rt.close();
  }
});

test('breaker: needs minRequests in the window; old failures slide out of it', () => {
  const clock = new ManualClock();
  const b = new CircuitBreaker(clock, {
    failureRatePercent: 50,
    minRequests: 4,
    windowMs: 1000,
    openMs: 500,
    halfOpenRequests: 1,
  });
  b.record(false);
  b.record(false);
  b.record(false);
  assert.equal(b.state, 'closed', 'under minRequests');
  clock.advance(1000);
  b.record(false);
  b.record(true);
  b.record(true);
  b.record(true);
  assert.equal(b.state, 'closed', 'the first failures left the window: 1 of 4');
  b.record(false);
  b.record(false);
  assert.equal(b.state, 'open', '3 of 6');
  assert.equal(b.admit(), 'reject');
  clock.advance(500);
  assert.equal(b.admit(), 'probe');
  assert.equal(b.admit(), 'reject', 'one probe at a time');
  b.probeDone(false); // the probe's client went away: the slot is free again
  assert.equal(b.admit(), 'probe');
  b.record(true);
  assert.equal(b.state, 'closed');
});

test('retry budget: at most budgetPercent of requests, with a floor of minRetries', () => {
  const clock = new ManualClock();
  const budget = new RetryBudget(clock, 20, 2);
  assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), false, 'minRetries spent with no requests');
  for (let i = 0; i < 100; i++) budget.onRequest();
  let granted = 2;
  while (budget.tryRetry()) granted++;
  assert.equal(granted, 20);
  clock.advance(10000);
  assert.equal(budget.tryRetry(), true, 'the window moved on');
});

test('health matcher, DNS refresh bounds', () => {
  const m = statusMatcher('200,202,300-399');
  assert.deepEqual([200, 201, 202, 301, 399, 400].map(m), [true, false, true, true, true, false]);
  assert.equal(nextRefreshMs(undefined, 1000, 30000), 30000);
  assert.equal(nextRefreshMs(0, 1000, 30000), 1000);
  assert.equal(nextRefreshMs(5000, 1000, 30000), 5000);
  assert.equal(nextRefreshMs(600000, 1000, 30000), 30000);
});

test('config errors name the path: consistent-hash without hashOn, duplicate targets, bad matcher, route options on a uri integration', async () => {
  const base = (upstream: string, integration = 'upstream: u') =>
    `version: 1\nupstreams:\n  u:\n${upstream}\napis:\n  - name: a\n    type: http\n    stages: { $default: {} }\n    routes:\n      - route: GET /x\n        integration: { type: http_proxy, ${integration} }\n`;
  const errs = (text: string) => {
    try {
      loadConfigText(text, 'p.yaml');
      return '';
    } catch (err) {
      return (err as ConfigError).message;
    }
  };
  assert.match(
    errs(base('    targets: [{ url: "http://a" }]\n    balancer: consistent-hash')),
    /upstreams\.u\.hashOn.*needs hashOn/,
  );
  assert.match(
    errs(base('    targets: [{ url: "http://a" }, { url: "http://a" }]')),
    /upstreams\.u\.targets\[1\]\.url: duplicate target/,
  );
  assert.match(
    errs(base('    targets: [{ url: "http://a" }]\n    healthCheck: { matcher: "2xx" }')),
    /healthCheck\.matcher.*expected status codes/,
  );
  assert.match(
    errs(base('    targets: [{ url: "http://a" }]\n    hashOn: { source: header }')),
    /hashOn\.name.*needs a name/,
  );
  const { compileConfig } = await import('../features.js');
  const { createRuntimeDeps } = await import('../pipeline/policy.js');
  const { PoolRegistry } = await import('../forward/pools.js');
  const loaded = loadConfigText(
    base(
      '    targets: [{ url: "http://a" }]\n    tls: { caFile: missing-ca.pem }',
      'uri: "http://b/x", timeouts: { totalMs: 100 }',
    ),
    '/tmp/p.yaml',
  );
  assert.throws(
    () => compileConfig(loaded, { runtime: createRuntimeDeps({ pools: new PoolRegistry(), log }), revision: 1 }),
    (err: ConfigError) =>
      /upstreams\.u\.tls\.caFile.*cannot read CA file/.test(err.message) &&
      /integration\.timeouts.*apply to upstream integrations only/.test(err.message),
  );
});
