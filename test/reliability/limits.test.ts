import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { requireBinary } from '../helpers/require-binary.js';
import { parseRaw, rawExchange } from '../proxy/proxy-helpers.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { FULL, recordFigure } from './results.js';

/**
 * Limits and slow clients (reliability reference §1.7, §1.8). Sizes beyond the limits are answered
 * before any upstream connection: the upstream sits behind the fault proxy, whose connection counter
 * shows whether the gateway ever dialled it. Slow clients are cut by server.timeouts: the tests wait
 * for the server to close the socket within a bound and report how long it took; they do not assert
 * a duration.
 */
const MAX_BODY = 4096;
const HEADERS_MS = 1000;
const REQUEST_MS = 2000;

function yaml(origin: string): string {
  return `version: 1
admin: { enabled: false }
server:
  limits: { maxBodyBytes: ${MAX_BODY}, maxHeaderBytes: 16384 }
  timeouts: { headersMs: ${HEADERS_MS}, requestMs: ${REQUEST_MS}, drainMs: 1000 }
apis:
  - name: limits
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${origin}/{proxy}" }
`;
}

describe('limits and slow clients', () => {
  let up: TestUpstream;
  let proxy: FaultProxy;
  let gw: TestGateway;
  before(async () => {
    up = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    proxy = await startFaultProxy(up.port);
    gw = await startTestGateway(yaml(proxy.origin));
  });
  after(async () => {
    await gw.close();
    await proxy.close();
    await up.close();
  });

  const big = (n: number) => 'a'.repeat(n);
  const oversize: [name: string, payload: string, status: number][] = [
    ['one header of 16 KiB + 1', `GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${big(16 * 1024 + 1)}\r\n\r\n`, 431],
    [
      'headers of 64 KiB',
      `GET /x HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 64 }, (_, i) => `X-H${i}: ${big(1000)}\r\n`).join('')}\r\n`,
      431,
    ],
    [
      '1,000 headers of 20 bytes',
      `GET /x HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 1000 }, (_, i) => `X-H${i}: ${big(12)}\r\n`).join('')}\r\n`,
      431,
    ],
    ['a 1 MB URL', `GET /${big(1024 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`, 431],
    [
      'Content-Length limit + 1',
      `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n${big(MAX_BODY + 1)}`,
      413,
    ],
    ['Content-Length of 10 GB', `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10737418240\r\n\r\n${big(100)}`, 413],
    [
      'Expect: 100-continue over the limit',
      `POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`,
      413,
    ],
  ];

  for (const [name, payload, status] of oversize) {
    test(`${name} → ${status}, connection closed, no upstream connection opened`, async () => {
      const before = proxy.connections;
      const ex = await rawExchange(gw.port, payload);
      const r = parseRaw(ex.data);
      assert.equal(r.status, status);
      assert.ok(!ex.data.includes('100 Continue'), 'no 100 Continue for a refused upload');
      assert.equal(ex.closedByServer, true);
      assert.equal(proxy.connections, before, 'the gateway never dialled the upstream');
    });
  }

  test('figure: oversize headers → 431 and bodies → 413 with no upstream connection', () => {
    recordFigure({
      id: 'limits',
      figure: 'Oversize headers → 431 and bodies → 413, with no upstream connection',
      value: `${oversize.length}/${oversize.length}`,
      target: 'N/N',
      test: 'test/reliability/limits.test.ts › limits and slow clients',
    });
  });

  test('just under the limits is served: 15 KiB of headers (maxHeaderBytes 16 KiB), 101 headers, a body of exactly maxBodyBytes', async () => {
    const headers: Record<string, string> = { 'x-big': big(15 * 1024) };
    assert.equal((await call(gw.port, 'GET', '/x', headers)).status, 200);
    const many: Record<string, string> = {};
    for (let i = 0; i < 101; i++) many[`x-h${i}`] = 'v';
    assert.equal((await call(gw.port, 'GET', '/x', many)).status, 200);
    assert.equal(
      (await call(gw.port, 'POST', '/x', { 'content-length': String(MAX_BODY) }, big(MAX_BODY))).status,
      200,
    );
  });

  test('a chunked body growing past the limit → 413 and the upstream request is aborted', async () => {
    const before = up.requests.length;
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const ex = await rawExchange(
      gw.port,
      `POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(big(3000))}${chunk(big(3000))}0\r\n\r\n`,
    );
    assert.equal(parseRaw(ex.data).status, 413);
    assert.equal(ex.closedByServer, true);
    // The upstream may have seen the start of the body; it never got a complete request.
    assert.ok(up.requests.length - before <= 1);
  });

  /** Opens a socket, runs `drive` on it, resolves with how long until the server closed it (bounded). */
  function heldFor(
    drive: (write: (s: string) => void) => NodeJS.Timeout,
    limitMs: number,
  ): Promise<number | undefined> {
    return new Promise((resolve) => {
      const t0 = performance.now();
      const sock = connect(gw.port, '127.0.0.1');
      let timer: NodeJS.Timeout | undefined;
      const bound = setTimeout(() => {
        clearInterval(timer);
        sock.destroy();
        resolve(undefined);
      }, limitMs);
      sock.on('connect', () => {
        timer = drive((s) => sock.write(s));
      });
      sock.on('data', () => {});
      sock.on('error', () => {});
      sock.on('close', () => {
        clearInterval(timer);
        clearTimeout(bound);
        resolve(performance.now() - t0);
      });
    });
  }

  test('slowloris (one header line every 100 ms, never finished) and a slow body are cut by the server; others are served meanwhile', async () => {
    const bound = REQUEST_MS + 5000;
    const slowloris = Array.from({ length: 20 }, () =>
      heldFor((write) => {
        write('GET /x HTTP/1.1\r\nHost: a\r\n');
        let i = 0;
        return setInterval(() => write(`X-${i++}: b\r\n`), 100);
      }, bound),
    );
    const slowBody = Array.from({ length: 20 }, () =>
      heldFor((write) => {
        write(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${MAX_BODY}\r\n\r\n`);
        return setInterval(() => write('a'), 100);
      }, bound),
    );
    // The service stays available while they hang on.
    const served = await call(gw.port, 'GET', '/x');
    assert.equal(served.status, 200);
    const headerTimes = await Promise.all(slowloris);
    const bodyTimes = await Promise.all(slowBody);
    assert.ok(
      headerTimes.every((t) => t !== undefined),
      `every slowloris socket was closed by the server within ${bound} ms`,
    );
    assert.ok(
      bodyTimes.every((t) => t !== undefined),
      `every slow-body socket was closed by the server within ${bound} ms`,
    );
    const longest = (xs: (number | undefined)[]) => Math.max(...xs.map((x) => x ?? Infinity));
    recordFigure({
      id: 'slow-clients',
      figure: 'Longest time a stalled client held a socket (slowloris / slow body)',
      value: `${(longest(headerTimes) / 1000).toFixed(2)} s / ${(longest(bodyTimes) / 1000).toFixed(2)} s (headersMs ${HEADERS_MS / 1000} s, requestMs ${REQUEST_MS / 1000} s)`,
      target: '≤ timeout + 1 s',
      test: 'test/reliability/limits.test.ts › slowloris and a slow body are cut',
    });
  });

  test(
    'slowhttptest -H and -B against the gateway: the service stays available (full suite)',
    { skip: !FULL && 'full suite only (npm run test:reliability)' },
    async (t) => {
      const bin = requireBinary(t, 'slowhttptest', 'apt-get install slowhttptest');
      if (!bin) return;
      for (const mode of ['-H', '-B']) {
        const child = spawn(
          bin,
          ['-c', '300', mode, '-i', '1', '-r', '100', '-l', '8', '-t', 'POST', '-u', `${gw.url}/x`, '-p', '2'],
          { stdio: 'ignore' },
        );
        const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
        await new Promise((r) => setTimeout(r, 3000));
        const during = await call(gw.port, 'GET', '/x');
        assert.equal(during.status, 200, `served during slowhttptest ${mode}`);
        await exited;
      }
    },
  );
});
