import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import {
  type FaultServer,
  faultServers,
  gatewayWith,
  load,
  type Mode,
  type Result,
  send,
  upstreamYaml,
} from '../upstream/upstream-helpers.js';
import { FULL, p99, recordFigure } from './results.js';

/**
 * The upstream promises of reference §1.9 under real loopback faults, measured: what clients see
 * while one target of three fails (share recovered, p99 latency against the healthy baseline), that
 * a POST is never sent twice, how much a 5xx storm is amplified by retries, and the circuit breaker's
 * figures (failures before it opens, probes while open, closing after recovery). Real time: these
 * are measurements; the logic itself is tested with an injected clock in src/upstream/runtime.test.ts
 * and test/upstream/.
 */
const N = FULL ? 3000 : 300;
const CONCURRENCY = 8;
const targets = (servers: FaultServer[]) => ['targets:', ...servers.map((s) => `  - url: ${s.url}`)];

/** `n` GETs at `CONCURRENCY`, each timed. */
async function timedGets(port: number, n: number): Promise<{ results: Result[]; ms: number[] }> {
  const ms: number[] = [];
  const results = await load(n, CONCURRENCY, async (i) => {
    const t0 = performance.now();
    const r = await send(port, 'GET', `/items/${i}`);
    ms.push(performance.now() - t0);
    return r;
  });
  return { results, ms };
}

type Fault = 'refused' | Extract<Mode, 'reset' | '503' | 'hang'>;

interface Phase {
  p99: number;
  ok: number;
  failed: number;
  statuses: Record<number, number>;
}

/**
 * A fresh upstream of 3 targets and gateway; `warm` healthy GETs first (the target fails while
 * traffic flows), then the fault on target 2, then `N` timed GETs.
 */
async function phase(t: TestContext, fault: 'none' | Fault, warm: number): Promise<Phase> {
  const servers = await faultServers(t, 3);
  // firstByteMs: a hanging target answers 504 after it (a first-byte timeout is not retried: the
  // request may be executing); 5 such failures in a row eject it (outlier detection's default).
  const gw = await gatewayWith(
    t,
    upstreamYaml([...targets(servers), 'timeouts: { firstByteMs: 300 }'], { admin: false }),
  );
  if (warm) assert.ok((await timedGets(gw.port, warm)).results.every((r) => r.status === 200));
  const faulty = servers[1] as FaultServer;
  if (fault === 'refused') await faulty.stop();
  else if (fault !== 'none') faulty.mode = fault;
  const { results, ms } = await timedGets(gw.port, N);
  const statuses: Record<number, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const ok = results.filter((r) => r.status === 200 && r.complete).length;
  await gw.close();
  return { p99: p99(ms), ok, failed: N - ok, statuses };
}

test(`one of three targets faulted (refused, reset, 503, hanging): ${N} GETs each, share recovered and p99 against the healthy baseline`, async (t) => {
  const rows: Record<string, Phase> = {};
  for (const fault of ['none', 'refused', 'reset', '503', 'hang'] as ('none' | Fault)[])
    rows[fault] = await phase(t, fault, 100);
  // The target already down when the gateway starts: its first failures come before the retry
  // budget has any traffic to be a share of (minRetries 3 per 10 s), so a few are not retried.
  const cold = await phase(t, 'refused', 0);
  const row = (f: string) => rows[f] as Phase;
  const recoverable = ['refused', 'reset', '503'];
  const recovered = recoverable.reduce((s, f) => s + row(f).ok, 0);
  t.diagnostic(JSON.stringify({ ...rows, cold }));
  recordFigure({
    id: 'upstream-failover-p99',
    figure: `p99 latency of client GETs while one of 3 upstream targets is faulted (${CONCURRENCY} concurrent, fresh connections, loopback)`,
    value: `healthy ${row('none').p99.toFixed(1)} ms; refused ${row('refused').p99.toFixed(1)} ms, reset ${row('reset').p99.toFixed(1)} ms, 503 ${row('503').p99.toFixed(1)} ms, hanging ${row('hang').p99.toFixed(1)} ms (${row('hang').failed} of ${N} got 504 before the target was ejected)`,
    target: 'reported (close to healthy once the target is ejected)',
    test: 'test/reliability/upstream-failover.test.ts › one of three targets faulted',
    details: { ...rows, cold },
  });
  recordFigure({
    id: 'retries-recovered',
    figure:
      'Idempotent requests recovered after a single-host failure (one of 3 targets starts refusing, resetting or answering 503 under traffic)',
    value: `${recovered} / ${recoverable.length * N} (${((100 * recovered) / (recoverable.length * N)).toFixed(1)} %); target already down at start: ${cold.ok} / ${N}`,
    target: '100 %',
    test: 'test/reliability/upstream-failover.test.ts › one of three targets faulted',
  });
  assert.equal(row('none').failed, 0, JSON.stringify(row('none').statuses));
  for (const f of recoverable) assert.equal(row(f).failed, 0, `${f}: ${JSON.stringify(row(f).statuses)}`);
  // Hanging: only requests already sent to it before its ejection (5 failures in a row, with up to
  // CONCURRENCY in flight at once) time out.
  assert.ok(row('hang').failed <= 5 + CONCURRENCY, `hang: ${JSON.stringify(row('hang').statuses)}`);
  // Cold: at most the dead target's failures before ejection beyond the 3 free retries.
  assert.ok(cold.failed <= 5 + CONCURRENCY - 3, `cold: ${JSON.stringify(cold.statuses)}`);
});

test(`POSTs under failure (one target resets, one answers 503): ${N / 3} POSTs, none sent twice`, async (t) => {
  // Both targets accept every connection, so each POST reaches exactly one of them exactly once
  // unless it is replayed.
  const [reset, storm] = (await faultServers(t, 2)) as [FaultServer, FaultServer];
  reset.mode = 'reset';
  storm.mode = '503';
  const gw = await gatewayWith(
    t,
    upstreamYaml(
      [
        ...targets([reset, storm]),
        'outlierDetection: { enabled: false }',
        'retries: { minRetries: 1000, budgetPercent: 100 }',
      ],
      { admin: false },
    ),
  );
  const n = N / 3;
  const posts = await load(n, CONCURRENCY, (i) =>
    send(gw.port, 'POST', `/orders/${i}`, JSON.stringify({ n: i }), { 'content-type': 'application/json' }),
  );
  const hits = (reset.methods.POST ?? 0) + (storm.methods.POST ?? 0);
  // The same failures on GETs are retried (with the budget opened wide, as for the POSTs): the
  // retry machinery was on.
  const before = reset.hits + storm.hits;
  await load(30, CONCURRENCY, () => send(gw.port, 'GET', '/orders'));
  const getTries = reset.hits + storm.hits - before;
  recordFigure({
    id: 'retries-post-replayed',
    figure: 'POSTs replayed upstream under failure (targets resetting and answering 503; retries on, budget open)',
    value: `${hits - n} of ${n} (${hits} upstream POSTs for ${n} sent; 30 GETs made ${getTries} tries)`,
    target: '0',
    test: 'test/reliability/upstream-failover.test.ts › POSTs under failure',
  });
  assert.equal(hits, n, `${hits} POSTs reached the targets for ${n} sent`);
  assert.ok(
    posts.every((r) => r.status >= 500),
    'every POST failed without a retry',
  );
  assert.ok(getTries > 30, `GETs were retried (${getTries} tries for 30)`);
});

test('5xx storm and circuit breaker: retry amplification; failures before opening, probes while open, closing after recovery', async (t) => {
  // 1. Amplification: every target answers 503, no breaker, no ejection: retries are held to the budget.
  const storm = await faultServers(t, 3);
  for (const s of storm) s.mode = '503';
  const gw = await gatewayWith(
    t,
    upstreamYaml([...targets(storm), 'outlierDetection: { enabled: false }'], { admin: false }),
  );
  const results = await load(N, CONCURRENCY, () => send(gw.port, 'GET', '/x'));
  const hits = storm.reduce((s, x) => s + x.hits, 0);
  const amplification = hits / N;

  // 2. The breaker (retries off, so every request is one try): sequential requests against a failing
  // upstream until it opens, a storm while open, then recovery.
  const [a, b] = (await faultServers(t, 2)) as [FaultServer, FaultServer];
  a.mode = '503';
  b.mode = '503';
  const openMs = 1000;
  const gw2 = await gatewayWith(
    t,
    upstreamYaml(
      [
        ...targets([a, b]),
        'outlierDetection: { enabled: false }',
        'retries: { attempts: 0 }',
        `circuitBreaker: { failureRatePercent: 50, minRequests: 20, windowMs: 10000, openMs: ${openMs}, halfOpenRequests: 3 }`,
      ],
      { admin: false },
    ),
  );
  const tries = () => a.hits + b.hits;
  let beforeOpen = 0;
  for (let i = 0; i < 100; i++) {
    const before = tries();
    await send(gw2.port, 'GET', '/x');
    if (tries() === before) break; // answered without a try: the breaker is open
    beforeOpen++;
  }
  // Open: a storm of requests for 3 open periods; only half-open probes reach the targets.
  const stormStart = performance.now();
  const triesAtOpen = tries();
  let stormRequests = 0;
  while (performance.now() - stormStart < 3 * openMs) {
    await send(gw2.port, 'GET', '/x');
    stormRequests++;
  }
  const stormSeconds = (performance.now() - stormStart) / 1000;
  const probes = tries() - triesAtOpen;
  // Recovery: the targets answer again; time until the breaker lets every request through.
  a.mode = 'ok';
  b.mode = 'ok';
  const recoveredAt = performance.now();
  let closedAfterMs = -1;
  let streak = 0;
  for (let i = 0; i < 10_000 && streak < 20; i++) {
    const r = await send(gw2.port, 'GET', '/x');
    streak = r.status === 200 ? streak + 1 : 0;
    if (streak === 1) closedAfterMs = performance.now() - recoveredAt;
    if (performance.now() - recoveredAt > 20 * openMs) break;
  }
  t.diagnostic(
    `amplification ${amplification.toFixed(3)}× (${N} → ${hits}); breaker: ${beforeOpen} failures before opening, ${probes} probes in ${stormSeconds.toFixed(1)} s (${stormRequests} requests), closed ${closedAfterMs.toFixed(0)} ms after recovery`,
  );
  recordFigure({
    id: 'retry-amplification',
    figure: 'Retry amplification in a 5xx storm (every target 503; attempts 2, budget 20 %)',
    value: `${amplification.toFixed(3)}× (${N} requests → ${hits} upstream tries)`,
    target: '≤ 1.2×',
    test: 'test/reliability/upstream-failover.test.ts › 5xx storm and circuit breaker',
  });
  recordFigure({
    id: 'breaker',
    figure:
      'Breaker (50 % over ≥ 20 requests, openMs 1 s, 3 half-open probes): failures before opening / probe rate while open / time to close after recovery',
    value: `${beforeOpen} / ${(probes / stormSeconds).toFixed(2)} per s (${probes} tries for ${stormRequests} requests in ${stormSeconds.toFixed(1)} s) / ${closedAfterMs.toFixed(0)} ms`,
    target: 'minRequests / ≤ halfOpenRequests per openMs / ≤ openMs + a probe',
    test: 'test/reliability/upstream-failover.test.ts › 5xx storm and circuit breaker',
  });
  assert.ok(
    results.every((r) => r.status === 503),
    'the upstream 503 is passed on once retries are spent',
  );
  assert.ok(hits > N && amplification <= 1.2 + 3 / N, `amplification ${amplification}`);
  assert.equal(beforeOpen, 20, 'the breaker opens once the window holds minRequests failures');
  // Each open period ends in one half-open phase of at most 3 probes (the first failure reopens it).
  assert.ok(probes <= 3 * (Math.ceil(stormSeconds / (openMs / 1000)) + 1), `${probes} tries while open`);
  assert.ok(stormRequests > probes * 5, 'most requests in the storm were answered by the open breaker');
  assert.ok(closedAfterMs >= 0 && streak === 20, 'the breaker closed after recovery');
});
