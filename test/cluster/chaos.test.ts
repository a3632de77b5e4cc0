import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { type RedisServer, redisSuiteSkip, startRedis } from '../helpers/redis.js';
import {
  adminCall,
  agent,
  ADMIN_TOKEN,
  clusterConfig,
  get,
  type Node,
  percentile,
  sharedSecret,
  startNode,
  stopNode,
  within,
} from './harness.js';

const skip = redisSuiteSkip('Redis outage chaos');
/** A request answered later than this counts as hung: the 50 ms command timeout plus a generous margin for a loaded machine. */
const HANG_MS = 5000;

interface Sample {
  phase: string;
  node: 'open' | 'closed';
  status: number;
  ms: number;
}

/**
 * Two nodes on one Redis (AOF on, so a restart keeps the keys), default commandTimeoutMs 50:
 * `open` fails open (throttle local, quota open), `closed` fails closed (throttle closed, quota
 * closed → 503). Load runs while Redis is killed, restarted and SIGSTOPped; every request must be
 * answered as its node's policy says, none may hang, both nodes must live and recover.
 */
describe('Redis outage chaos', { skip }, () => {
  let redis: RedisServer | undefined;
  let open: Node | undefined;
  let closed: Node | undefined;

  before(async (t) => {
    redis = await startRedis(t as unknown as TestContext, { persistent: true });
    if (!redis) return;
    const secret = sharedSecret();
    const base = `kind: redis, url: "${redis.url}", keyPrefix: "chaos:", expectedNodes: 2, probeIntervalMs: 100`;
    // Limits far above what the load can reach, even as the local fallback's share (limit / expectedNodes) on a
    // quiet machine: the policy under test is fail-open vs fail-closed, not throttling. (5,000/s was reached once
    // the proxy path got faster: the fail-open node's local bucket then answered some 429s.)
    const plan = `  limited:\n    stages: { svc/$default: {} }\n    throttle: { rate: 1000000, burst: 1000000 }\n    quota: { limit: 100000000, period: DAY }\n`;
    open = await startNode(clusterConfig(`{ ${base}, failure: { throttle: local, quota: open } }`, plan), secret);
    closed = await startNode(clusterConfig(`{ ${base}, failure: { throttle: closed, quota: closed } }`, plan), secret);
  });

  after(async () => {
    const codes = await Promise.all([open, closed].filter((n): n is Node => n !== undefined).map(stopNode));
    await agent.close();
    await redis?.stop();
    assert.deepEqual(codes, [0, 0], 'both nodes drained and exited cleanly');
  });

  test('kill, restart and SIGSTOP under load: answered per policy, 0 hangs, 0 crashes, automatic recovery', async (t) => {
    const r = redis as RedisServer;
    const nodes = { open: open as Node, closed: closed as Node };
    const k = await adminCall(nodes.open, 'POST', '/keys', { name: 'chaos', plans: ['limited'] });
    const h = { 'x-api-key': k.body.value as string };
    // Setup, not under test: on a loaded machine the fail-closed node may answer 503 for a moment at start.
    assert.ok(
      await within(10_000, async () => (await get(`${nodes.closed.url}/keyed`, h)) === 200),
      'the key works on the other node',
    );

    const samples: Sample[] = [];
    let phase = 'warmup';
    let running = true;
    const loops = Array.from({ length: 8 }, async (_, w) => {
      const which = w % 2 === 0 ? 'open' : 'closed';
      for (let i = 0; running && i < 100_000; i++) {
        const t0 = performance.now();
        const status = await get(`${nodes[which].url}/keyed`, h, HANG_MS);
        samples.push({ phase, node: which, status, ms: performance.now() - t0 });
      }
    });
    const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));
    const state = async (n: Node) => ((await adminCall(n, 'GET', '/status')).body.store as { state: string }).state;
    try {
      await pause(1000);
      phase = 'baseline';
      await pause(1500);
      phase = 'killed';
      await r.kill();
      await pause(1500);
      assert.equal(await state(nodes.open), 'down', 'the outage shows in /status');
      const metrics = await (
        await fetch(new URL('/metrics', nodes.open.adminUrl), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      ).text();
      assert.match(metrics, /portico_store_degraded 1/);
      phase = 'restarted';
      await r.restart();
      assert.ok(
        await within(5000, async () => (await state(nodes.open)) === 'up' && (await state(nodes.closed)) === 'up'),
        'recovered after restart',
      );
      await pause(1000);
      phase = 'hung';
      r.pause();
      await pause(1500);
      assert.equal(await state(nodes.closed), 'down', 'a hung Redis is detected by timeouts');
      phase = 'resumed';
      r.resume();
      assert.ok(
        await within(5000, async () => (await state(nodes.open)) === 'up' && (await state(nodes.closed)) === 'up'),
        'recovered after SIGCONT',
      );
      await pause(1000);
    } finally {
      r.resume();
      running = false;
      await Promise.all(loops);
    }

    const of = (p: string, n: 'open' | 'closed') => samples.filter((s) => s.phase === p && s.node === n);
    const tally = (xs: Sample[]) =>
      Object.fromEntries(
        [...new Set(xs.map((s) => s.status))].map((st) => [st, xs.filter((s) => s.status === st).length]),
      );
    const hung = samples.filter((s) => s.status === -1 || s.ms >= HANG_MS);
    const broken = samples.filter((s) => s.status === 0);
    assert.equal(hung.length, 0, 'no request hung');
    assert.equal(broken.length, 0, 'no request lost its connection (no crash)');
    assert.equal(nodes.open.proc.child.exitCode, null);
    assert.equal(nodes.closed.proc.child.exitCode, null);
    // Policy: open → always 200; closed → 200 or 503 (never anything else); both 200 only when healthy.
    for (const p of ['warmup', 'baseline', 'killed', 'restarted', 'hung', 'resumed']) {
      assert.deepEqual(
        Object.keys(tally(of(p, 'open'))),
        ['200'],
        `fail-open node, ${p}: ${JSON.stringify(tally(of(p, 'open')))}`,
      );
      const c = Object.keys(tally(of(p, 'closed')));
      assert.ok(
        c.every((s) => s === '200' || s === '503'),
        `fail-closed node, ${p}: ${JSON.stringify(tally(of(p, 'closed')))}`,
      );
    }
    assert.ok((tally(of('killed', 'closed'))['503'] ?? 0) > 0, 'the fail-closed node refused during the kill');
    assert.ok((tally(of('hung', 'closed'))['503'] ?? 0) > 0, 'the fail-closed node refused during the hang');
    const lat = (p: string) => of(p, 'open').map((s) => s.ms);
    const base99 = percentile(lat('baseline'), 99);
    const figure = ['killed', 'hung']
      .map(
        (p) =>
          `${p}: p99 ${percentile(lat(p), 99).toFixed(1)} ms (added ${(percentile(lat(p), 99) - base99).toFixed(1)} ms), max ${Math.max(...lat(p)).toFixed(1)} ms`,
      )
      .join('; ');
    const counts = ['baseline', 'killed', 'restarted', 'hung', 'resumed']
      .map((p) => `${p} ${JSON.stringify(tally(of(p, 'open')))}/${JSON.stringify(tally(of(p, 'closed')))}`)
      .join(', ');
    const line = `baseline p99 ${base99.toFixed(1)} ms; ${figure}; requests (open/closed) ${counts}`;
    t.diagnostic(line);
    process.stdout.write(`# FIGURE cluster.chaos: ${line}\n`);
  });
});
