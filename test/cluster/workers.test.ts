import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import {
  ADMIN_TOKEN,
  adminCall,
  childrenOf,
  agent,
  clusterConfig,
  get,
  getFresh,
  load,
  type Node,
  sharedSecret,
  startNode,
  stopNode,
  within,
} from './harness.js';

const READY = /portico workers ready/;

/**
 * `portico start --workers 2` with the embedded store: one bucket and one quota per key across both
 * workers (through the primary), reloads reach every worker, and a rolling restart drops nothing.
 */
describe('--workers 2 (embedded store)', () => {
  let node: Node | undefined;
  const yaml = clusterConfig('{ kind: embedded }');

  before(async () => {
    node = await startNode(yaml, sharedSecret(), ['--workers', '2'], READY);
  });

  after(async () => {
    const code = node ? await stopNode(node) : 0;
    await agent.close();
    assert.equal(code, 0, 'the primary stopped its workers and exited cleanly');
  });

  /**
   * The worker pids: the primary's children (from /proc; the kernel, not the primary, picks which worker
   * takes a fresh connection, so asking over the network may reach one worker only).
   */
  async function pids(n: Node): Promise<Set<number>> {
    return new Set(childrenOf(n.proc.child.pid as number));
  }

  test('a 100 rps key limit admits 100 rps ±2% across 2 workers, not 200; the quota is exact', async (t) => {
    const n = node as Node;
    assert.equal((await pids(n)).size, 2, 'two workers');
    const k = await adminCall(n, 'POST', '/keys', { name: 'rated', plans: ['rated'] });
    assert.equal(k.status, 201);
    const h = { 'x-api-key': k.body.value as string };
    assert.ok(
      await within(1000, async () => (await get(`${n.url}/keyed`, h)) === 200),
      'the key works on every worker',
    );
    await new Promise((r) => setTimeout(r, 600));
    const r = await load([`${n.url}/keyed`], h, 10_000, 16);
    const admitted = r.statuses.get(200) ?? 0;
    const expected = 50 + (100 * r.elapsedMs) / 1000;
    const ratio = admitted / expected;
    const figure = `admitted ${admitted} of ${r.total} over ${(r.elapsedMs / 1000).toFixed(2)} s; expected ${expected.toFixed(1)} (burst 50 + 100/s); ratio ${ratio.toFixed(4)}`;
    t.diagnostic(figure);
    process.stdout.write(`# FIGURE cluster.workers2.100rps: ${figure}\n`);
    assert.deepEqual(
      [...r.statuses.keys()].filter((s) => s !== 200 && s !== 429),
      [],
    );
    // Never more than the limit: one bucket for both workers, not one each.
    assert.ok(ratio <= 1.02, figure);
    // At least the limit when the load offered far above it (about 2,000 rps on a quiet machine). On a
    // loaded machine the client is slow: each request's latency, at the window's start and end, is time
    // the client counts and the bucket could not spend, and the shortfall says nothing about the workers.
    const offered = (r.total * 1000) / r.elapsedMs;
    if (offered >= 500) assert.ok(ratio >= 0.98, figure);
    else t.diagnostic(`lower bound not checked: ${offered.toFixed(0)} rps offered, under 5× the limit`);

    const q = await adminCall(n, 'POST', '/keys', { name: 'metered', plans: ['metered'] });
    const qh = { 'x-api-key': q.body.value as string };
    assert.ok(
      await within(1000, async () =>
        (await Promise.all([1, 2, 3, 4].map(() => getFresh(`${n.url}/free`)))).every((s) => s === 200),
      ),
    );
    // Keys made through one worker reach the other through the primary.
    assert.ok(
      await within(1000, async () => {
        const s = await Promise.all(
          Array.from({ length: 4 }, () => adminCall(n, 'GET', `/keys/${q.body.id as string}`)),
        );
        return s.every((x) => x.status === 200);
      }),
    );
    const statuses = await Promise.all(Array.from({ length: 120 }, () => get(`${n.url}/keyed`, qh)));
    assert.equal(statuses.filter((s) => s === 200).length, 50, 'quota 50/DAY admits exactly 50 across the workers');
  });

  test('reload (file + SIGHUP, and the admin API) and a rolling restart under load: 0 failed requests', async () => {
    const n = node as Node;
    const before = await pids(n);
    let running = true;
    let phase = 'sighup';
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const loops = Array.from({ length: 8 }, async () => {
      for (let i = 0; running && i < 100_000; i++) {
        // 15 s: an answer later than that is a hang (a new worker can take seconds to warm up on a loaded machine).
        const s = await getFresh(`${n.url}/free`, 15_000);
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
        if (s !== 200) failures.push(`${s} during ${phase}`);
      }
    });
    try {
      // 1. A new route, loaded through SIGHUP to the primary, which fans it out.
      await writeFile(
        join(n.dir, 'portico.yaml'),
        yaml.replace(
          '    routes:\n',
          '    routes:\n      - { route: GET /added, integration: { type: mock, statusCode: 200, body: added } }\n',
        ),
      );
      n.proc.child.kill('SIGHUP');
      assert.ok(
        await within(5000, async () =>
          (await Promise.all(Array.from({ length: 6 }, () => getFresh(`${n.url}/added`)))).every((s) => s === 200),
        ),
        'every worker serves the reloaded config',
      );
      // 2. A reload through one worker's admin API reaches the other.
      phase = 'admin reload';
      await writeFile(
        join(n.dir, 'portico.yaml'),
        yaml.replace(
          '    routes:\n',
          '    routes:\n      - { route: GET /second, integration: { type: mock, statusCode: 200, body: second } }\n',
        ),
      );
      assert.equal((await adminCall(n, 'POST', '/reload')).status, 200);
      assert.ok(
        await within(5000, async () =>
          (await Promise.all(Array.from({ length: 6 }, () => getFresh(`${n.url}/second`)))).every((s) => s === 200),
        ),
        'the admin reload reached every worker',
      );
      // 3. Rolling restart through the CLI.
      phase = 'rolling restart';
      const cli = runCli(['restart', '--admin', n.adminUrl, '--token', ADMIN_TOKEN]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.ok(
        // A hang detector, not a speed bound: on a loaded 2-core machine one replacement worker was seen to
        // take 31 s from fork to listening (not explained yet), and the restart replaces two in turn.
        await within(150_000, async () => {
          const now = await pids(n);
          return now.size === 2 && [...now].every((p) => !before.has(p));
        }),
        `both workers were replaced: ${n.proc
          .stdout()
          .split('\n')
          .filter((l) => /restart|worker|stopp|error/.test(l))
          .join('\n')}`,
      );
      await n.proc.waitFor(/rolling restart done/, 60_000);
      phase = 'after';
    } finally {
      running = false;
      await Promise.all(loops);
    }
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(
      `# FIGURE cluster.workers2.reload-restart: ${total} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    assert.deepEqual(
      [...statuses.keys()],
      [200],
      `0 failed requests: ${JSON.stringify(Object.fromEntries(statuses))} ${failures.join(', ')}`,
    );
    assert.ok(total > 50, 'load ran throughout');
  });
});
