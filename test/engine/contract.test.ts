import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { createDataServer, type Engine } from '../../src/server/data-server.js';
import type { TimerWheel } from '../../src/server/engine/portico/timer-wheel.js';

// The engine contract (issue 18): the same raw exchanges against both engines.
async function start(engine: Engine, clock?: ManualClock) {
  const server = createDataServer({
    engine,
    name: 'test',
    log: createLogger('silent'),
    handler: (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        if (req.url === '/chunked') {
          res.writeHead(200, {});
          res.write('ab');
          res.end('cd');
        } else res.end(`${req.method} ${req.url} ${n}`);
      });
    },
    upgrade: (_req, socket) => socket.destroy(),
    maxHeaderBytes: 1024,
    timeouts: { headersMs: 1000, requestMs: 5000, keepAliveMs: 5000 },
    limits: () => ({ maxConnections: 100, maxConnectionsPerIp: 0 }),
    ...(clock ? { clock } : {}),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function exchange(port: number, payload: string, waitMs = 400): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(payload));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', () => undefined);
    const t = setTimeout(() => s.destroy(), waitMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

for (const engine of ['node', 'portico'] as const) {
  describe(`engine contract: ${engine}`, () => {
    const servers: { close(): void; closeAllConnections(): void }[] = [];
    after(() => servers.forEach((s) => (s.close(), s.closeAllConnections())));

    it('answers 3 pipelined requests (one with a body) in order, on one connection', async () => {
      const { server, port } = await start(engine);
      servers.push(server);
      const out = await exchange(
        port,
        'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /3 HTTP/1.1\r\nHost: x\r\n\r\n',
      );
      const bodies = out.match(/(GET|POST) \/\d \d+/g);
      assert.deepEqual(bodies, ['GET /1 0', 'POST /2 5', 'GET /3 0']);
    });

    it('reads a chunked request body and chunks a response without a length', async () => {
      const { server, port } = await start(engine);
      servers.push(server);
      const out = await exchange(
        port,
        'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /chunked HTTP/1.1\r\nHost: x\r\n\r\n',
      );
      assert.match(out, /POST \/c 3/);
      assert.match(out, /transfer-encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n/i);
    });

    it('HEAD gets no body; HTTP/1.0 without keep-alive is closed', async () => {
      const { server, port } = await start(engine);
      servers.push(server);
      const head = await exchange(port, 'HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 200/);
      assert.doesNotMatch(head, /HEAD \/h/);
      const old = await exchange(port, 'GET /o HTTP/1.0\r\n\r\n', 2000);
      assert.match(old, /connection: close/i);
      assert.match(old, /GET \/o 0$/);
    });

    it('400 and close on Content-Length with Transfer-Encoding; 431 on headers over the limit', async () => {
      const { server, port } = await start(engine);
      servers.push(server);
      const bad = await exchange(
        port,
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        2000,
      );
      assert.match(bad, /^HTTP\/1\.1 400 /);
      const big = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(2000)}\r\n\r\n`, 2000);
      assert.match(big, /^HTTP\/1\.1 431 /);
    });

    if (engine === 'portico')
      it('headers timeout on the injected clock: 408 and close', async () => {
        const clock = new ManualClock();
        const { server, port } = await start(engine, clock);
        servers.push(server);
        const s = connect(port, '127.0.0.1');
        await new Promise((r) => s.once('connect', r));
        s.write('GET / HTTP/1.1\r\n');
        let out = '';
        s.on('data', (d) => (out += d));
        await new Promise((r) => setTimeout(r, 100));
        clock.advance(1500);
        (server as unknown as { wheel: TimerWheel }).wheel.tick();
        await new Promise((r) => s.once('close', r));
        assert.match(out, /^HTTP\/1\.1 408 /);
      });
  });
}
