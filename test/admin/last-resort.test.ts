import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { get as httpGet } from 'node:http';
import {
  ADMIN_TOKEN,
  clusterConfig,
  getFresh,
  type Node,
  sharedSecret,
  startNode,
  stopNode,
  within,
} from '../cluster/harness.js';

/**
 * The process-level last resort (src/cli/last-resort.ts): an error that escaped every request's
 * boundary is logged with pino and the process exits 1; under `--workers` the primary starts another
 * worker and requests keep being served. Faults are injected by test/helpers/inject-fault.mjs.
 */
const INJECT = `--import=${pathToFileURL(new URL('../helpers/inject-fault.mjs', import.meta.url).pathname).href}`;

function withInjector(kind: 'exception' | 'rejection'): void {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${INJECT}`.trim();
  process.env.PORTICO_TEST_FAULT = kind;
}

/** The pid that answers the admin API on a new connection (the primary hands each to either worker). */
function adminPid(n: Node): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = httpGet(
      new URL('/status', n.adminUrl),
      { agent: false, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => {
          try {
            resolve((JSON.parse(body) as { pid?: number }).pid);
          } catch {
            resolve(undefined);
          }
        });
        res.on('error', () => resolve(undefined));
      },
    );
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function workerPids(n: Node): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < 30 && seen.size < 2; i++) {
    const pid = await adminPid(n);
    if (pid) seen.add(pid);
  }
  return seen;
}

/** Pino lines of the process output with level 60 (fatal). */
function fatalLines(n: Node): Record<string, unknown>[] {
  return n.proc
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.level === 60);
}

describe('process-level last resort', () => {
  const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, PORTICO_TEST_FAULT: process.env.PORTICO_TEST_FAULT };
  const restore = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  after(restore);

  for (const kind of ['exception', 'rejection'] as const) {
    test(`portico start: an uncaught ${kind} is logged with pino and the process exits 1`, async () => {
      withInjector(kind);
      const node = await startNode(clusterConfig('{ kind: embedded }'), sharedSecret());
      restore();
      try {
        const pid = node.proc.child.pid as number;
        process.kill(pid, 'SIGUSR2');
        const code = await Promise.race([
          node.proc.exited,
          new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000).unref()),
        ]);
        assert.equal(code, 1);
        const fatal = fatalLines(node);
        assert.equal(fatal.length, 1, node.proc.stdout() + node.proc.stderr());
        assert.match(
          String((fatal[0]?.err as { message?: string })?.message),
          new RegExp(`${kind} injected by the test`),
        );
        assert.equal(fatal[0]?.role, 'gateway');
      } finally {
        await stopNode(node);
      }
    });
  }

  test('--workers 2: a worker killed with SIGKILL or failing with an uncaught exception is replaced, and requests are served', async (t) => {
    withInjector('exception');
    const node = await startNode(
      clusterConfig('{ kind: embedded }'),
      sharedSecret(),
      ['--workers', '2'],
      /portico workers ready/,
    );
    restore();
    try {
      for (const how of ['SIGKILL', 'SIGUSR2'] as const) {
        const before = await workerPids(node);
        assert.equal(before.size, 2, 'two workers answer');
        const victim = [...before][0] as number;
        process.kill(victim, how);
        const replaced = await within(20_000, async () => {
          const now = await workerPids(node);
          return now.size === 2 && !now.has(victim);
        });
        assert.ok(replaced, `a new worker replaced ${victim} (${how})`);
        const statuses: number[] = [];
        for (let i = 0; i < 10; i++) statuses.push(await getFresh(`${node.url}/free`));
        assert.deepEqual(statuses, Array(10).fill(200), `requests are served after the ${how}`);
        t.diagnostic(`${how}: worker ${victim} replaced`);
      }
      assert.match(node.proc.stdout(), /worker died; starting another/);
      const fatal = fatalLines(node);
      assert.equal(fatal.length, 1, 'the worker with the uncaught exception logged it');
      assert.equal(fatal[0]?.role, 'worker');
      assert.equal(node.proc.child.exitCode, null, 'the primary keeps running');
    } finally {
      assert.equal(await stopNode(node), 0);
    }
  });
});
