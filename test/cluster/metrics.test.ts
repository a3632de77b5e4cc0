import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'undici';
import {
  ADMIN_TOKEN,
  clusterConfig,
  getFresh,
  type Node,
  sharedSecret,
  startNode,
  stopNode,
  within,
} from './harness.js';

const READY = /portico workers ready/;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Sum of portico_requests_total for route="/free" in a Prometheus text exposition. */
function freeRequests(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    const m = /^portico_requests_total\{([^}]*)\} (\d+)$/.exec(line);
    if (m && /route="\/free"/.test(m[1] as string)) n += Number(m[2]);
  }
  return n;
}

/** One admin connection (so one worker): its pid (/cluster) and its own count (/metrics?scope=process). */
async function oneWorker(adminUrl: string): Promise<{ pid: number; count: number }> {
  const c = new Client(adminUrl, { pipelining: 1 });
  try {
    const a = await c.request({ path: '/cluster', method: 'GET', headers: auth });
    const { pid } = (await a.body.json()) as { pid: number };
    const b = await c.request({ path: '/metrics?scope=process', method: 'GET', headers: auth });
    return { pid, count: freeRequests(await b.body.text()) };
  } finally {
    await c.close();
  }
}

async function scrape(url: string): Promise<string> {
  const r = await fetch(url, { headers: { ...auth, connection: 'close' } });
  assert.equal(r.status, 200);
  return r.text();
}

/**
 * Issue 21: with `--workers 2`, /metrics is every worker's, not whichever answered the scrape (20
 * requests read as 10 before). N requests go through both workers; /metrics on any connection, and on
 * the metrics listener, reads exactly N.
 */
describe('metrics across workers (portico start --workers 2)', () => {
  let node: Node | undefined;

  before(async () => {
    const yaml = clusterConfig('{ kind: embedded }', 'observability: { metrics: { listen: 127.0.0.1:0 } }\n');
    node = await startNode(yaml, sharedSecret(), ['--workers', '2'], READY);
  });
  after(async () => {
    const code = node ? await stopNode(node) : 0;
    assert.equal(code, 0);
  });

  test('N requests through 2 workers read as exactly N in /metrics', async (t) => {
    const n = node as Node;
    let sent = 0;
    let perWorker = new Map<number, number>();
    // Fresh connections, in batches of 10, until both workers have served some (bounded: 30 batches).
    for (let batch = 0; batch < 30; batch++) {
      const statuses = await Promise.all(Array.from({ length: 10 }, () => getFresh(`${n.url}/free`)));
      assert.deepEqual(new Set(statuses), new Set([200]));
      sent += 10;
      perWorker = new Map();
      for (let i = 0; i < 20 && perWorker.size < 2; i++) {
        const w = await oneWorker(n.adminUrl);
        perWorker.set(w.pid, w.count);
      }
      if (perWorker.size === 2 && [...perWorker.values()].every((c) => c > 0)) break;
    }
    const counts = [...perWorker.values()];
    t.diagnostic(`sent ${sent}; per worker ${JSON.stringify(Object.fromEntries(perWorker))}`);
    assert.equal(perWorker.size, 2, 'both workers answer');
    assert.ok(
      counts.every((c) => c > 0 && c < sent),
      `each worker served part of the ${sent}: ${counts.join(', ')}`,
    );

    // A request is counted when its response closes: wait (bounded) until the count settles, then exactly N.
    let total = 0;
    await within(5000, async () => (total = freeRequests(await scrape(`${n.adminUrl}/metrics`))) >= sent);
    assert.equal(total, sent, 'the admin listener shows every worker');
    for (let i = 0; i < 4; i++) {
      const text = await scrape(`${n.adminUrl}/metrics`);
      assert.equal(freeRequests(text), sent, 'whichever worker answers the scrape');
      assert.match(text, /portico_cluster_workers\{state="answered"\} 2/);
      assert.match(text, /portico_cluster_workers\{state="missing"\} 0/);
    }
    const m = /"metrics":"(http:\/\/[^"]+)"/.exec(n.proc.stdout());
    assert.ok(m, 'the metrics listener is logged');
    const viaListener = await fetch(`${m[1]}/metrics`, { headers: { connection: 'close' } });
    assert.equal(viaListener.status, 200);
    assert.equal(freeRequests(await viaListener.text()), sent, 'the metrics listener shows every worker, no token');
    process.stdout.write(`# FIGURE cluster.metrics.workers2: sent ${sent}, read ${total}, per worker ${counts}\n`);
  });
});
