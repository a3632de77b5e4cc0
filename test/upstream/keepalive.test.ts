import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { Agent, request } from 'undici';
import { gatewayWith } from './upstream-helpers.js';

/** An upstream that closes each kept-alive connection 0-3 ms after answering, with no hint (reliability §1.9). */
async function racyUpstream(t: TestContext): Promise<{ port: number; requests: () => number }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        requests++;
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        setTimeout(() => sock.destroy(), Math.random() * 3);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, requests: () => requests };
}

const N = 400;

for (const kind of ['uri', 'upstream'] as const) {
  test(`stale keep-alive resets are retried transparently: 0 client errors in ${N} GETs (${kind} integration)`, async (t) => {
    const up = await racyUpstream(t);
    const origin = `http://127.0.0.1:${up.port}`;
    const integration =
      kind === 'uri' ? `{ type: http_proxy, uri: "${origin}/{proxy}" }` : '{ type: http_proxy, upstream: svc }';
    const gw = await gatewayWith(
      t,
      [
        'version: 1',
        'admin: { enabled: false }',
        'server: { timeouts: { drainMs: 1000 } }',
        // Attempts 0: only the stale-socket retry is left, so this measures that alone.
        `upstreams: { svc: { targets: [{ url: "${origin}" }], retries: { attempts: 0 }, outlierDetection: { enabled: false } } }`,
        'apis:',
        '  - name: a',
        '    type: http',
        '    stages: { $default: {} }',
        '    routes:',
        `      - route: ANY /{proxy+}`,
        `        integration: ${integration}`,
        '',
      ].join('\n'),
    );
    const client = new Agent({ connections: 8 });
    t.after(() => client.close());
    let errors = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < N) {
          const r = await request(`${gw.url}/ka`, { dispatcher: client });
          await r.body.text();
          if (r.statusCode !== 200) errors++;
        }
      }),
    );
    t.diagnostic(`${kind}: ${errors} client errors in ${N} GETs; the upstream saw ${up.requests()} requests`);
    assert.equal(errors, 0);
  });
}
