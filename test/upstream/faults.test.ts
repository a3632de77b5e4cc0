import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { startUpstream } from '../helpers/gateway.js';
import {
  countBy,
  faultServers,
  gatewayWith,
  load,
  runtimeOf,
  send,
  upstreamYaml,
  waitFor,
} from './upstream-helpers.js';

const targets = (urls: string[]) => ['targets:', ...urls.map((u) => `  - url: ${u}`)];

test('one target of three dies: 100% of GETs recovered, the dead target ejected, then restored after its ejection time', async (t) => {
  const clock = new ManualClock();
  const [a, b, c] = await faultServers(t, 3);
  const gw = await gatewayWith(
    t,
    upstreamYaml([
      ...targets([a!.url, b!.url, c!.url]),
      'outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 30000 }',
    ]),
    clock,
  );
  const warm = await load(60, 6, () => send(gw.port, 'GET', '/items'));
  assert.ok(warm.every((r) => r.status === 200));
  assert.deepEqual(countBy(warm), { s1: 20, s2: 20, s3: 20 });

  await b!.stop();
  const after = await load(300, 10, (i) => send(gw.port, i % 2 ? 'GET' : 'HEAD', `/items/${i}`));
  const failed = after.filter((r) => r.status !== 200);
  t.diagnostic(`after s2 died: ${after.length - failed.length}/${after.length} requests answered 200`);
  assert.equal(failed.length, 0, JSON.stringify(failed.slice(0, 3)));
  const s2 = runtimeOf(gw).endpoints.find((e) => e.targetUrl === b!.url)!;
  assert.ok(s2.ejectedUntil > clock.now(), 's2 is ejected');

  // Back up, and past its ejection time: it takes traffic again (with no reload).
  await b!.restart();
  const hitsBefore = b!.hits;
  clock.advance(30001);
  const back = await load(60, 3, () => send(gw.port, 'GET', '/items'));
  assert.ok(back.every((r) => r.status === 200));
  assert.ok(b!.hits - hitsBefore >= 15, `s2 served ${b!.hits - hitsBefore} of 60 after restore`);
});

test('0 POSTs replayed: a POST that fails is never sent again, while a GET is retried on another target', async (t) => {
  const [reset, storm, ok] = await faultServers(t, 3);
  reset!.mode = 'reset';
  storm!.mode = '503';
  await ok!.stop(); // refuses
  const gw = await gatewayWith(
    t,
    upstreamYaml([...targets([reset!.url, storm!.url, ok!.url]), 'outlierDetection: { enabled: false }']),
  );
  const posts = await load(60, 6, (i) =>
    send(gw.port, 'POST', `/orders/${i}`, JSON.stringify({ n: i }), { 'content-type': 'application/json' }),
  );
  const postHits = (reset!.methods.POST ?? 0) + (storm!.methods.POST ?? 0);
  t.diagnostic(`60 POSTs: ${postHits} reached an upstream, statuses ${JSON.stringify(countBy(posts))}`);
  assert.ok(postHits <= 60, `${postHits} POSTs reached upstreams for 60 sent`);
  assert.ok(
    posts.every((r) => r.status === 500 || r.status === 503),
    'every POST failed without a retry',
  );
  // PATCH is not idempotent either.
  await load(10, 2, () => send(gw.port, 'PATCH', '/orders/1', '{}'));
  assert.ok((reset!.methods.PATCH ?? 0) + (storm!.methods.PATCH ?? 0) <= 10);

  // The same failures on GET are retried.
  await ok!.restart();
  const gets = await load(60, 6, () => send(gw.port, 'GET', '/orders'));
  assert.ok(gets.filter((r) => r.status === 200).length > 30, JSON.stringify(countBy(gets)));
});

test('a route that opts in (retryNonIdempotent) retries POST on another target', async (t) => {
  const [reset, ok] = await faultServers(t, 2);
  reset!.mode = 'reset';
  const gw = await gatewayWith(
    t,
    upstreamYaml(
      [...targets([reset!.url, ok!.url]), 'outlierDetection: { enabled: false }', 'retries: { minRetries: 100 }'],
      { integration: 'retryNonIdempotent: true' },
    ),
  );
  const posts = await load(20, 2, () =>
    send(gw.port, 'POST', '/orders', '{"a":1}', { 'content-type': 'application/json' }),
  );
  assert.deepEqual(countBy(posts), { s2: 20 });
});

test('5xx storm: retry amplification stays within the 20% budget', async (t) => {
  const servers = await faultServers(t, 3);
  for (const s of servers) s.mode = '503';
  const gw = await gatewayWith(
    t,
    upstreamYaml([...targets(servers.map((s) => s.url)), 'outlierDetection: { enabled: false }']),
  );
  const n = 300;
  const results = await load(n, 10, () => send(gw.port, 'GET', '/x'));
  const hits = servers.reduce((s, x) => s + x.hits, 0);
  const amplification = hits / n;
  t.diagnostic(`5xx storm: ${n} requests → ${hits} upstream requests, amplification ${amplification.toFixed(3)}×`);
  assert.ok(
    results.every((r) => r.status === 503),
    'the upstream 503 is passed on once retries are spent',
  );
  assert.ok(hits > n, 'some requests were retried');
  assert.ok(amplification <= 1.2, `amplification ${amplification}`);
});

test('a truncated upstream body is never delivered as complete (reset mid-body, dripping past the total timeout)', async (t) => {
  const [mid, drip] = await faultServers(t, 2);
  mid!.mode = 'reset-mid-body';
  drip!.mode = 'drip';
  const cfg = (u: string) => [...targets([u]), 'timeouts: { totalMs: 300 }'];
  const gwMid = await gatewayWith(t, upstreamYaml(cfg(mid!.url)));
  const gwDrip = await gatewayWith(t, upstreamYaml(cfg(drip!.url)));
  const a = await load(20, 4, () => send(gwMid.port, 'GET', '/file'));
  const b = await load(6, 3, () => send(gwDrip.port, 'GET', '/stream'));
  for (const r of [...a, ...b]) {
    assert.equal(r.complete, false, `a cut body must not look complete: ${JSON.stringify(r).slice(0, 200)}`);
  }
  assert.ok(a.every((r) => r.status === 200 && r.body.length < 1000));
});

test('firstByteMs bounds the wait for the head only: a body dripping for 10× firstByteMs arrives whole', async (t) => {
  const [drip] = await faultServers(t, 1);
  drip!.mode = 'drip'; // 51 bytes, one every 50 ms
  const gw = await gatewayWith(t, upstreamYaml([...targets([drip!.url]), 'timeouts: { firstByteMs: 250 }']));
  const r = await send(gw.port, 'GET', '/stream');
  assert.equal(r.status, 200);
  assert.equal(r.complete, true, JSON.stringify(r).slice(0, 200));
  assert.equal(r.body, '.'.repeat(51));
});

test('once the head is in, the body has timeoutMs, not firstByteMs: a head at once and the body 400 ms later is a 200', async (t) => {
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
    res.flushHeaders();
    setTimeout(() => res.end('later'), 400);
  });
  t.after(() => up.close());
  const gw = await gatewayWith(t, upstreamYaml([...targets([up.url]), 'timeouts: { firstByteMs: 250 }']));
  const r = await send(gw.port, 'GET', '/late-body');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'later');
  assert.equal(r.complete, true);
});

test('a hanging target: first-byte timeout gives 504, then passive ejection keeps requests away from it', async (t) => {
  const [hang, ok] = await faultServers(t, 2);
  hang!.mode = 'hang';
  const gw = await gatewayWith(
    t,
    upstreamYaml([
      ...targets([hang!.url, ok!.url]),
      'timeouts: { firstByteMs: 150 }',
      'outlierDetection: { consecutiveFailures: 2 }',
    ]),
  );
  const results: number[] = [];
  for (let i = 0; i < 20; i++) results.push((await send(gw.port, 'GET', '/slow')).status);
  t.diagnostic(`statuses: ${results.join(' ')}`);
  assert.ok(results.filter((s) => s === 504).length <= 2, 'at most consecutiveFailures timeouts before ejection');
  assert.ok(results.slice(4).every((s) => s === 200));
  const ep = runtimeOf(gw).endpoints.find((e) => e.targetUrl === hang!.url)!;
  assert.ok(ep.ejections >= 1);
});

test('active health checks remove a failing target and restore it; all unhealthy fails open unless configured', async (t) => {
  const [a, b] = await faultServers(t, 2);
  const hc =
    'healthCheck: { path: /health, intervalMs: 50, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2 }';
  const gw = await gatewayWith(t, upstreamYaml([...targets([a!.url, b!.url]), hc]));
  const rt = runtimeOf(gw);
  const health = (s: { url: string }) => rt.endpoints.find((e) => e.targetUrl === s.url)!.healthy;

  b!.healthMode = '500';
  await waitFor('s2 unhealthy', () => !health(b!));
  const hitsB = b!.hits;
  const r1 = await load(30, 3, () => send(gw.port, 'GET', '/x'));
  assert.deepEqual(countBy(r1), { s1: 30 });
  assert.equal(b!.hits, hitsB);

  // Health state survives a reload (same upstream name and target URL).
  await gw.write(upstreamYaml([...targets([a!.url, b!.url]), hc, 'retries: { attempts: 1 }']));
  assert.equal((await gw.gw.reload('test')).changed, true);
  assert.equal(health(b!), false, 'still unhealthy right after the reload');

  b!.healthMode = undefined;
  await waitFor('s2 healthy again', () => health(b!));
  const r2 = await load(30, 3, () => send(gw.port, 'GET', '/x'));
  assert.ok((countBy(r2).s2 ?? 0) > 0, JSON.stringify(countBy(r2)));

  // Both unhealthy: fail open, like an ALB.
  a!.healthMode = 'hang';
  b!.healthMode = '503';
  await waitFor('both unhealthy', () => !health(a!) && !health(b!));
  const r3 = await load(10, 2, () => send(gw.port, 'GET', '/x'));
  assert.ok(
    r3.every((r) => r.status === 200),
    JSON.stringify(countBy(r3)),
  );

  // failOpen: false answers 503 instead.
  await gw.write(upstreamYaml([...targets([a!.url, b!.url]), hc.replace('}', ', failOpen: false }')]));
  await gw.gw.reload('test');
  const closed = await send(gw.port, 'GET', '/x');
  assert.equal(closed.status, 503);
  assert.match(closed.body, /Service Unavailable/);
});
