import assert from 'node:assert/strict';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startRacyUpstream } from '../helpers/racy-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type Fault, type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { FULL, p99, recordFigure } from './results.js';

const SIZE = 20_000;

/** The upstream: /cl/N answers N bytes with Content-Length, /chunked/N the same in 1000-byte chunks. */
async function startBodies(): Promise<Server> {
  const server = createHttpServer((req, res) => {
    const [, kind, n] = (req.url ?? '').split('/');
    const body = Buffer.alloc(Number(n) || 0, 'x');
    if (kind === 'cl') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < body.length; i += 1000) res.write(body.subarray(i, i + 1000));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

export interface ClientView {
  /** complete: 'end' with the whole body; truncated: the body stream failed; failed: no response. */
  kind: 'complete' | 'truncated' | 'failed';
  status: number;
  bytes: number;
  ms: number;
}

/** One GET on a fresh connection, as an HTTP client sees it. */
export function get(port: number, path: string): Promise<ClientView> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      let done = false;
      const finish = (kind: ClientView['kind']) => {
        if (done) return;
        done = true;
        resolve({ kind, status: res.statusCode ?? 0, bytes, ms: performance.now() - t0 });
      };
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => finish(res.complete ? 'complete' : 'truncated'));
      res.on('error', () => finish('truncated'));
      res.on('aborted', () => finish('truncated'));
      res.on('close', () => finish(res.complete ? 'complete' : 'truncated'));
    });
    req.on('error', () => resolve({ kind: 'failed', status: 0, bytes: 0, ms: performance.now() - t0 }));
    req.end();
  });
}

function yaml(origin: string, timeoutMs = 2000): string {
  return `version: 1
admin: { enabled: false }
server: { timeouts: { drainMs: 1000 } }
apis:
  - name: faults
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${origin}/{proxy}", timeoutMs: ${timeoutMs} }
`;
}

describe('upstream faults through the TCP fault proxy', () => {
  let bodies: Server;
  let proxy: FaultProxy;
  let gw: TestGateway;
  before(async () => {
    bodies = await startBodies();
    proxy = await startFaultProxy((bodies.address() as AddressInfo).port);
    gw = await startTestGateway(yaml(proxy.origin, 1000));
  });
  after(async () => {
    await gw.close();
    await proxy.close();
    bodies.closeAllConnections();
    await new Promise<void>((r) => bodies.close(() => r()));
  });

  test('truncated upstream bodies (reset or clean close at any byte, Content-Length and chunked) are never passed off as complete', async () => {
    const runs = FULL ? 400 : 60;
    const cases = fc.sample(
      fc.record({
        kind: fc.constantFrom<'reset' | 'halfClose'>('reset', 'halfClose'),
        body: fc.constantFrom('cl', 'chunked'),
        at: fc.nat({ max: SIZE + 300 }),
      }),
      { numRuns: runs, seed: 1121 },
    );
    const wrong: string[] = [];
    const latencies: number[] = [];
    const tally = { complete: 0, truncated: 0, error: 0 };
    for (const c of cases) {
      proxy.setFault({ kind: c.kind, afterBytes: c.at } as Fault);
      const v = await get(gw.port, `/${c.body}/${SIZE}`);
      latencies.push(v.ms);
      if (v.kind === 'complete' && v.status === 200) {
        tally.complete++;
        if (v.bytes !== SIZE)
          wrong.push(`${c.kind} at ${c.at} (${c.body}): a ${v.bytes}-byte body ended as if complete`);
      } else if (v.kind === 'complete') tally.error++;
      else tally.truncated++;
    }
    proxy.setFault({ kind: 'none' });
    recordFigure({
      id: 'upstream-truncation',
      figure: 'Truncated upstream bodies delivered as complete',
      value: `0 of ${runs} cut responses`,
      target: '0',
      test: 'test/reliability/upstream-faults.test.ts › truncated upstream bodies',
      details: tally,
    });
    recordFigure({
      id: 'upstream-fault-p99',
      figure: 'p99 client latency while the upstream resets or closes mid-response (loopback)',
      value: `${p99(latencies).toFixed(1)} ms`,
      target: 'reported',
      test: 'test/reliability/upstream-faults.test.ts › truncated upstream bodies',
    });
    assert.deepEqual(wrong, []);
  });

  test('a reset before the response head is a clean 5xx JSON answer', async () => {
    proxy.setFault({ kind: 'reset', afterBytes: 0 });
    const v = await get(gw.port, '/cl/10');
    proxy.setFault({ kind: 'none' });
    assert.equal(v.kind, 'complete');
    assert.ok(v.status >= 500 && v.status < 600, `status ${v.status}`);
  });

  test('a refused upstream connection is a clean 5xx JSON answer', async () => {
    proxy.setFault({ kind: 'refuse' });
    const v = await get(gw.port, '/cl/10');
    proxy.setFault({ kind: 'none' });
    assert.equal(v.kind, 'complete');
    assert.ok(v.status >= 500 && v.status < 600, `status ${v.status}`);
  });

  test('an upstream that stalls mid-body: the client connection is cut after timeoutMs, never a short complete body', async () => {
    proxy.setFault({ kind: 'stall', afterBytes: 3000 });
    const v = await get(gw.port, '/cl/10000');
    proxy.setFault({ kind: 'none' });
    assert.equal(v.kind, 'truncated');
  });

  test('an upstream that stalls before its head: 504', async () => {
    proxy.setFault({ kind: 'stall', afterBytes: 0 });
    const v = await get(gw.port, '/cl/10');
    proxy.setFault({ kind: 'none' });
    assert.equal(v.status, 504);
  });

  test('a slow (dripping) upstream is passed through complete', async () => {
    proxy.setFault({ kind: 'drip', bytes: 512, everyMs: 2 });
    const v = await get(gw.port, '/chunked/8000');
    proxy.setFault({ kind: 'none' });
    assert.deepEqual([v.kind, v.status, v.bytes], ['complete', 200, 8000]);
  });
});

const RACE_REQUESTS = FULL ? 10_000 : 300;

test(`stale keep-alive race: 0 client errors in ${RACE_REQUESTS} idempotent GETs`, async () => {
  const up = await startRacyUpstream();
  const gw = await startTestGateway(yaml(`http://127.0.0.1:${up.port}`));
  try {
    const { Agent, request: undiciRequest } = await import('undici');
    const client = new Agent({ connections: 8 });
    let errors = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < RACE_REQUESTS) {
          const r = await undiciRequest(`${gw.url}/ka`, { dispatcher: client });
          await r.body.text();
          if (r.statusCode !== 200) errors++;
        }
      }),
    );
    await client.close();
    recordFigure({
      id: 'keepalive-race',
      figure: 'Stale keep-alive errors seen by clients per idempotent requests',
      value: `${errors} / ${RACE_REQUESTS}`,
      target: '0 / 10k',
      test: 'test/reliability/upstream-faults.test.ts › stale keep-alive race',
    });
    assert.equal(errors, 0);
  } finally {
    await gw.close();
    await up.close();
  }
});
