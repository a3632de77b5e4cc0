import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { faultServers, gatewayWith, load, runtimeOf, send, upstreamYaml } from './upstream-helpers.js';

test('the breaker opens on the failure rate, answers 503 fast without touching the upstream, probes half-open and closes', async (t) => {
  const clock = new ManualClock();
  const [s] = await faultServers(t, 1);
  s!.mode = '503';
  const gw = await gatewayWith(
    t,
    upstreamYaml([
      `targets: [{ url: ${s!.url} }]`,
      'retries: { attempts: 0 }',
      'outlierDetection: { enabled: false }',
      'circuitBreaker: { failureRatePercent: 50, minRequests: 10, windowMs: 10000, openMs: 5000, halfOpenRequests: 2 }',
    ]),
    clock,
  );
  const breaker = () => runtimeOf(gw).breaker!;

  // Closed: the storm passes through until the window holds minRequests at ≥ 50% failures.
  for (let i = 0; i < 9; i++) assert.equal((await send(gw.port, 'GET', '/x')).status, 503);
  assert.equal(breaker().state, 'closed');
  await send(gw.port, 'GET', '/x');
  assert.equal(breaker().state, 'open');
  assert.equal(s!.hits, 10);

  // Open: fast 503 from the gateway, Retry-After, no upstream request.
  const fast = await load(30, 5, () => send(gw.port, 'GET', '/x'));
  assert.ok(fast.every((r) => r.status === 503 && r.servedBy === undefined && /Service Unavailable/.test(r.body)));
  assert.equal(s!.hits, 10, 'no request reached the upstream while open');
  const one = await fetch(`${gw.url}/x`);
  assert.equal(one.headers.get('retry-after'), '5');
  await one.arrayBuffer();

  // Half-open after openMs: a failed probe opens it again.
  clock.advance(5000);
  assert.equal(breaker().state, 'half-open');
  assert.equal((await send(gw.port, 'GET', '/x')).servedBy, 's1');
  assert.equal(breaker().state, 'open');
  assert.equal(s!.hits, 11, 'exactly one probe');

  // Recovered: halfOpenRequests successful probes close it.
  s!.mode = 'ok';
  clock.advance(5000);
  assert.equal((await send(gw.port, 'GET', '/x')).status, 200);
  assert.equal(breaker().state, 'half-open');
  assert.equal((await send(gw.port, 'GET', '/x')).status, 200);
  assert.equal(breaker().state, 'closed');
  const after = await load(20, 4, () => send(gw.port, 'GET', '/x'));
  assert.ok(after.every((r) => r.status === 200));
  assert.equal(breaker().status().opened, 2);
});

test('half-open admits only halfOpenRequests probes at a time; the rest get the fast 503', async (t) => {
  const clock = new ManualClock();
  const [s] = await faultServers(t, 1);
  s!.mode = '503';
  const gw = await gatewayWith(
    t,
    upstreamYaml([
      `targets: [{ url: ${s!.url} }]`,
      'retries: { attempts: 0 }',
      'circuitBreaker: { minRequests: 2, failureRatePercent: 100, openMs: 1000, halfOpenRequests: 1 }',
    ]),
    clock,
  );
  await send(gw.port, 'GET', '/x');
  await send(gw.port, 'GET', '/x');
  assert.equal(runtimeOf(gw).breaker!.state, 'open');
  clock.advance(1000);
  s!.mode = 'hang';
  const probe = send(gw.port, 'GET', '/x'); // hangs upstream: holds the only probe slot
  await new Promise((r) => setTimeout(r, 100));
  const others = await load(5, 5, () => send(gw.port, 'GET', '/y'));
  assert.ok(others.every((r) => r.status === 503 && r.servedBy === undefined));
  assert.equal(s!.hits, 3);
  await s!.close(); // ends the hanging probe
  await probe;
});
