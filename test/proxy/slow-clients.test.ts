import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

/**
 * Slow clients in both directions (docs/security.md, "Client limits and timeouts"): real sockets, a
 * real upstream on port 0 that counts the requests it holds at once, small timeouts and bounds.
 * The tests wait, with a bound, for what must happen; they assert no duration.
 */

/** An upstream that counts the exchanges in progress (request head in, response not finished). */
interface CountingUpstream {
  port: number;
  origin: string;
  active: number;
  max: number;
  finished: number;
  server: Server;
}

async function countingUpstream(
  t: TestContext,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<CountingUpstream> {
  const up = { port: 0, origin: '', active: 0, max: 0, finished: 0 } as CountingUpstream;
  up.server = createServer((req, res) => {
    up.active++;
    up.max = Math.max(up.max, up.active);
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      up.active--;
    };
    res.once('finish', () => {
      up.finished++;
      done();
    });
    res.once('close', done);
    handler(req, res);
  });
  await new Promise<void>((r) => up.server.listen(0, '127.0.0.1', r));
  up.port = (up.server.address() as AddressInfo).port;
  up.origin = `http://127.0.0.1:${up.port}`;
  t.after(
    () =>
      new Promise<void>((r) => {
        up.server.closeAllConnections();
        up.server.close(() => r());
      }),
  );
  return up;
}

function yaml(origin: string, kind: 'uri' | 'upstream', server: string): string {
  const integration =
    kind === 'uri' ? `{ type: http_proxy, uri: "${origin}/{proxy}" }` : '{ type: http_proxy, upstream: svc }';
  return [
    'version: 1',
    'admin: { enabled: false }',
    `server: ${server}`,
    `upstreams: { svc: { targets: [{ url: "${origin}" }], retries: { attempts: 0 }, outlierDetection: { enabled: false } } }`,
    'apis:',
    '  - name: a',
    '    type: http',
    '    stages: { $default: {} }',
    '    routes:',
    '      - route: ANY /{proxy+}',
    `        integration: ${integration}`,
    '',
  ].join('\n');
}

async function gateway(t: TestContext, text: string): Promise<TestGateway> {
  const gw = await startTestGateway(text);
  t.after(() => gw.close());
  return gw;
}

/** A client sending a body of `length` bytes, `step` bytes every `everyMs`; resolves with what it got and whether the server closed. */
function slowUpload(
  port: number,
  length: number,
  step: number,
  everyMs: number,
  boundMs: number,
  { chunked = false, stopAt = length }: { chunked?: boolean; stopAt?: number } = {},
): { done: Promise<{ data: string; closedByServer: boolean; at: number }>; sock: Socket } {
  const t0 = performance.now();
  const sock = connect(port, '127.0.0.1');
  const done = new Promise<{ data: string; closedByServer: boolean; at: number }>((resolve) => {
    let data = '';
    let sent = 0;
    let tick: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => {
      clearInterval(tick);
      sock.destroy();
      resolve({ data, closedByServer: false, at: performance.now() - t0 });
    }, boundMs);
    sock.on('connect', () => {
      const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`;
      sock.write(`POST /up HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${framing}\r\n\r\n`);
      tick = setInterval(() => {
        if (sock.destroyed || sent >= stopAt) return;
        const n = Math.min(step, length - sent);
        sent += n;
        sock.write(chunked ? `${n.toString(16)}\r\n${'a'.repeat(n)}\r\n` : 'a'.repeat(n));
      }, everyMs);
    });
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (data += d));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(tick);
      clearTimeout(bound);
      resolve({ data, closedByServer: true, at: performance.now() - t0 });
    });
  });
  return { done, sock };
}

const until = async (cond: () => boolean, boundMs: number): Promise<boolean> => {
  const end = Date.now() + boundMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
};

for (const kind of ['uri', 'upstream'] as const) {
  test(`slow uploads do not hold upstream connections (${kind} integration)`, async (t) => {
    const up = await countingUpstream(t, (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    // Bodies of 4 KB (under requestBufferBytes) at 10 bytes per 50 ms: the rate check is off here.
    const gw = await gateway(
      t,
      yaml(
        up.origin,
        kind,
        '{ timeouts: { drainMs: 500, bodyMinBytesPerSecond: 0 }, limits: { requestBufferBytes: 65536 } }',
      ),
    );
    const slow = Array.from({ length: 20 }, () => slowUpload(gw.port, 4096, 10, 50, 10000));
    t.after(() => slow.forEach((s) => s.sock.destroy()));
    await new Promise((r) => setTimeout(r, 800));
    const normal = await call(gw.port, 'GET', '/x');
    assert.equal(normal.status, 200, 'a normal client is served meanwhile');
    assert.equal(up.max, 1, `the upstream held only the normal request (held at most ${up.max} at once)`);
  });

  test(`streaming uploads hold at most streamingUploadsPerOrigin upstream connections (${kind} integration)`, async (t) => {
    const up = await countingUpstream(t, (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const gw = await gateway(
      t,
      yaml(
        up.origin,
        kind,
        '{ timeouts: { drainMs: 500, bodyMinBytesPerSecond: 0 }, limits: { requestBufferBytes: 1024, streamingUploadsPerOrigin: 3 } }',
      ),
    );
    // 10 uploads of 20 KB (over requestBufferBytes, so streamed), 2 KB every 50 ms: each takes ~0.5 s.
    const uploads = Array.from({ length: 10 }, () => slowUpload(gw.port, 20000, 2000, 50, 15000));
    const normal = await call(gw.port, 'GET', '/x');
    assert.equal(normal.status, 200);
    const results = await Promise.all(uploads.map((u) => u.done));
    assert.ok(
      results.every((r) => r.data.startsWith('HTTP/1.1 200')),
      `every upload got its 200: ${results.map((r) => r.data.slice(0, 12)).join(', ')}`,
    );
    assert.ok(
      up.max <= 4,
      `at most 3 uploads and the normal request held an upstream connection at once (saw ${up.max})`,
    );
  });

  test(`a body below the minimum rate is cut with 408 (${kind} integration)`, async (t) => {
    const up = await countingUpstream(t, (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const gw = await gateway(
      t,
      yaml(up.origin, kind, '{ timeouts: { drainMs: 500, bodyMinBytesPerSecond: 500, bodyRateGraceMs: 500 } }'),
    );
    // 5 bytes every 100 ms = 50 B/s, far below 500 B/s; once over requestBufferBytes too (chunked, streamed).
    const buffered = slowUpload(gw.port, 4096, 5, 100, 6000);
    const streamed = slowUpload(gw.port, 200000, 5, 100, 6000, { chunked: true });
    for (const { done } of [buffered, streamed]) {
      const r = await done;
      assert.equal(r.closedByServer, true, 'the server closed the connection');
      assert.match(r.data, /^HTTP\/1\.1 408 /, `408, got ${JSON.stringify(r.data.slice(0, 40))}`);
    }
    assert.equal(up.finished, 0, 'no upstream exchange completed for them');
    assert.equal(
      (await call(gw.port, 'POST', '/x', { 'content-length': '5' }, 'hello')).status,
      200,
      'a normal upload is served',
    );
  });

  test(`a body that stops is cut with 408 after bodyIdleMs (${kind} integration)`, async (t) => {
    const up = await countingUpstream(t, (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const gw = await gateway(
      t,
      yaml(up.origin, kind, '{ timeouts: { drainMs: 500, bodyIdleMs: 800, bodyMinBytesPerSecond: 0 } }'),
    );
    // 100 bytes of 4096, then nothing.
    const r = await slowUpload(gw.port, 4096, 100, 10, 6000, { stopAt: 100 }).done;
    assert.equal(r.closedByServer, true);
    assert.match(r.data, /^HTTP\/1\.1 408 /);
  });

  test(`a slow reader is cut after sendMs without progress (${kind} integration)`, async (t) => {
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const up = await countingUpstream(t, (_req, res) => {
      res.writeHead(200, { 'content-length': String(64 * chunk.length) });
      let n = 0;
      const more = () => {
        while (n < 64) {
          n++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    const gw = await gateway(
      t,
      yaml(up.origin, kind, '{ timeouts: { drainMs: 500, sendMs: 1000 }, limits: { responseBufferBytes: 65536 } }'),
    );
    const r = await stalledReader(gw.port, 3000, 15000);
    assert.equal(r.closedByServer, true, 'the server closed the connection of a client that stopped reading');
    assert.ok(r.bytes < 64 * chunk.length, `before the whole response (${r.bytes} bytes came)`);
    assert.ok(await until(() => up.active === 0, 3000), 'and the upstream exchange ended with it');
  });

  test(`a slow reader does not hold the upstream connection beyond the response buffer bound (${kind} integration)`, async (t) => {
    const size = 24 * 1024 * 1024;
    const up = await countingUpstream(t, (_req, res) => {
      res.writeHead(200, { 'content-length': String(size) });
      res.end(Buffer.alloc(size, 'y'));
    });
    const gw = await gateway(
      t,
      yaml(up.origin, kind, '{ timeouts: { drainMs: 500, sendMs: 0 }, limits: { responseBufferBytes: 33554432 } }'),
    );
    // The client sends its request and reads nothing.
    const sock = connect(gw.port, '127.0.0.1', () => sock.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n'));
    sock.pause();
    sock.on('error', () => {});
    t.after(() => sock.destroy());
    assert.ok(
      await until(() => up.finished === 1, 8000),
      'the upstream response completed while the client read nothing',
    );
    assert.ok(await until(() => up.active === 0, 1000));
    assert.equal((await call(gw.port, 'GET', '/x')).status, 200);
  });
}

/**
 * A client that sends a GET and reads nothing for `stallMs`, then reads on: whether the server closed
 * the connection before the whole response came (bounded), and how many bytes came.
 */
function stalledReader(
  port: number,
  stallMs: number,
  boundMs: number,
): Promise<{ closedByServer: boolean; bytes: number }> {
  return new Promise((resolve) => {
    let bytes = 0;
    const sock = connect(port, '127.0.0.1', () => sock.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n'));
    sock.pause();
    setTimeout(() => sock.resume(), stallMs);
    const bound = setTimeout(() => {
      sock.destroy();
      resolve({ closedByServer: false, bytes });
    }, boundMs);
    sock.on('data', (d: Buffer) => (bytes += d.length));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(bound);
      resolve({ closedByServer: true, bytes });
    });
  });
}

const BIG_SIZE = 64 * 1024 * 1024;

/** A 64 MB /big from a real upstream, three readers of it that stall for 2 s, under `limits`: how many the gateway cut. */
async function stalledReadersCut(t: TestContext, limits: string): Promise<{ gw: TestGateway; cut: number }> {
  const body = Buffer.alloc(BIG_SIZE, 'z');
  const up = await countingUpstream(t, (req, res) => {
    if (req.url !== '/big') return void res.end('ok');
    res.writeHead(200, { 'content-length': String(BIG_SIZE) });
    res.end(body);
  });
  const gw = await gateway(t, yaml(up.origin, 'uri', `{ timeouts: { drainMs: 500, sendMs: 0 }, limits: ${limits} }`));
  // A paused socket sees no FIN: each reader resumes after 2 s, so a cut shows as a close before the whole body.
  const results = await Promise.all([0, 1, 2].map(() => stalledReader(gw.port, 2000, 10000)));
  return { gw, cut: results.filter((r) => r.closedByServer && r.bytes < BIG_SIZE).length };
}

test('with slowReadersPerOrigin N, the N+1-th slow reader of one origin is cut; a normal client of that origin still gets 200', async (t) => {
  const { gw, cut } = await stalledReadersCut(t, '{ responseBufferBytes: 65536, slowReadersPerOrigin: 2 }');
  assert.ok(cut >= 1, `at least one of 3 slow readers is cut with slowReadersPerOrigin 2 (${cut} cut)`);
  assert.equal((await call(gw.port, 'GET', '/x')).status, 200);
});

test('server.limits.responseBufferTotalBytes bounds the read-ahead of all slow readers together: past it a reader is paused, then cut', async (t) => {
  // Each reader alone may read ahead more than the whole body, but all together only 1 MB: without
  // the total, none of the 3 would ever be paused or cut.
  const { gw, cut } = await stalledReadersCut(
    t,
    '{ responseBufferBytes: 134217728, responseBufferTotalBytes: 1048576, slowReadersPerOrigin: 1 }',
  );
  assert.ok(cut >= 1, `at least one of 3 slow readers is cut once 1 MB is read ahead in all (${cut} cut)`);
  assert.equal((await call(gw.port, 'GET', '/x')).status, 200);
  // Every response is over: nothing counts against the total any more.
  assert.equal(gw.gw.runtime.pools.held.readAheadBytes, 0);
});
