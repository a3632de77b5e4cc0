import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { requireBinary } from '../helpers/require-binary.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { parseRaw, rawExchange } from '../proxy/proxy-helpers.js';
import { startNginx } from './oracles.js';
import { FULL, recordFigure } from './results.js';

/**
 * Issue 16, item 2 (idle sockets, connection caps): sockets that never send a byte on every listener
 * with a small header timeout, and a connection flood during which a new client is still answered.
 * nginx measured in the same run. Fast variants in `npm test`, full ones under PORTICO_FULL=1.
 */

const HEADERS_MS = 1000;
/** Node checks header timeouts every 500 ms (src/server/listener.ts); slack for the shared machine. */
const IDLE_BOUND_MS = HEADERS_MS + 500 + 3000;
const FILE = 'test/reliability/connections.test.ts';

const config = (server: string) => `version: 1
admin: { token: connections-admin-token-0123456789 }
server: ${server}
apis:
  - name: m
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /ok, integration: { type: mock, statusCode: 200, body: ok } }
`;

interface Held {
  socket: Socket;
  openedAt: number;
  closedAt?: number;
  data: string;
}

/** Opens `n` sockets that send nothing, `parallel` connects at a time; resolves once all connected (or failed). */
async function openIdle(port: number, n: number, parallel = 200): Promise<Held[]> {
  const held: Held[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) {
        next++;
        await new Promise<void>((resolve) => {
          const h: Held = { socket: connect(port, '127.0.0.1'), openedAt: Date.now(), data: '' };
          held.push(h);
          h.socket.on('data', (d: Buffer) => (h.data += d.toString('latin1')));
          h.socket.on('error', () => {});
          h.socket.on('close', () => {
            h.closedAt ??= Date.now();
            resolve();
          });
          h.socket.on('connect', () => resolve());
        });
      }
    }),
  );
  return held;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every socket is closed or `boundMs` passed; returns the longest time one stayed open. */
async function longestOpen(held: Held[], boundMs: number): Promise<{ maxMs: number; stillOpen: number }> {
  const t0 = Date.now();
  while (held.some((h) => h.closedAt === undefined) && Date.now() - t0 < boundMs) await sleep(50);
  const stillOpen = held.filter((h) => h.closedAt === undefined).length;
  const maxMs = Math.max(...held.map((h) => (h.closedAt ?? Date.now()) - h.openedAt));
  for (const h of held) h.socket.destroy();
  return { maxMs, stillOpen };
}

/** A request on a new connection: its status (0: closed without an answer) and latency. */
async function newClient(port: number, path = '/ok'): Promise<{ status: number; ms: number }> {
  const t0 = Date.now();
  const ex = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, {
    limitMs: 10_000,
  });
  return { status: ex.data ? parseRaw(ex.data).status : 0, ms: Date.now() - t0 };
}

const mb = (n: number) => Math.round(n / 1e5) / 10;

test('idle sockets: on the data and admin listeners a socket that never sends a byte is closed within headersMs + the check interval (nginx beside it)', async (t) => {
  const perListener = FULL ? 50 : 10;
  const gw = await startTestGateway(
    config(`{ timeouts: { headersMs: ${HEADERS_MS}, requestMs: 5000, drainMs: 1000 } }`),
  );
  const up = await startUpstream();
  const bin = requireBinary(t, 'nginx', 'apt-get install nginx-light');
  const nginx = bin ? await startNginx(bin, up.port, { http: 'client_header_timeout 1s;' }) : undefined;
  try {
    const ports: [string, number][] = [
      ['data', gw.port],
      ['admin', Number(new URL(gw.gw.adminUrl as string).port)],
      ...(nginx ? [['nginx', nginx.port] as [string, number]] : []),
    ];
    const results = await Promise.all(
      ports.map(async ([name, port]) => {
        const held = await openIdle(port, perListener);
        const r = await longestOpen(held, IDLE_BOUND_MS + 2000);
        return { name, ...r, answered408: held.filter((h) => h.data.startsWith('HTTP/1.1 408')).length };
      }),
    );
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    t.diagnostic(JSON.stringify(results));
    recordFigure({
      id: 'idle-sockets',
      figure: `Idle sockets (${perListener} per listener, never a byte, headersMs ${HEADERS_MS}): longest open, data / admin listener`,
      value: `${by.data?.maxMs} ms / ${by.admin?.maxMs} ms; nginx (client_header_timeout 1s): ${by.nginx ? `${by.nginx.maxMs} ms` : 'not run'}`,
      target: `≤ ${HEADERS_MS} + 500 ms check interval + slack (${IDLE_BOUND_MS} ms)`,
      test: `${FILE} › idle sockets`,
      details: { results, headersMs: HEADERS_MS },
    });
    for (const name of ['data', 'admin']) {
      assert.equal(by[name]?.stillOpen, 0, `${name}: sockets still open`);
      assert.ok((by[name]?.maxMs ?? Infinity) <= IDLE_BOUND_MS, `${name}: longest open ${by[name]?.maxMs} ms`);
    }
    assert.equal((await newClient(gw.port)).status, 200);
  } finally {
    await nginx?.stop();
    await up.close();
    await gw.close();
  }
});

test('connection flood: idle sockets on the data listener, a new client still gets its answer (nginx beside it)', async (t) => {
  const flood = FULL ? 3000 : 300;
  const gw = await startTestGateway(config('{ timeouts: { headersMs: 30000, requestMs: 30000, drainMs: 1000 } }'));
  const up = await startUpstream();
  const bin = requireBinary(t, 'nginx', 'apt-get install nginx-light');
  const nginx = bin
    ? await startNginx(bin, up.port, {
        workerConnections: flood * 2 + 100,
        main: `worker_rlimit_nofile ${flood * 3 + 200};`,
        http: 'client_header_timeout 30s;',
      })
    : undefined;
  try {
    await newClient(gw.port);
    const rssBefore = process.memoryUsage().rss;
    const t0 = Date.now();
    const held = await openIdle(gw.port, flood);
    const openMs = Date.now() - t0;
    await sleep(500);
    const accepted = held.filter((h) => h.closedAt === undefined).length;
    const during = await newClient(gw.port);
    const rssDuring = process.memoryUsage().rss;
    for (const h of held) h.socket.destroy();
    let ng: { status: number; ms: number; accepted: number } | undefined;
    if (nginx) {
      const nheld = await openIdle(nginx.port, flood);
      await sleep(500);
      const c = await newClient(nginx.port, '/');
      ng = { ...c, accepted: nheld.filter((h) => h.closedAt === undefined).length };
      for (const h of nheld) h.socket.destroy();
    }
    recordFigure({
      id: 'connection-flood',
      figure:
        'Connection flood on the data listener (idle sockets): flood / accepted / new client status, latency / RSS before → during',
      value:
        `${flood} / ${accepted} / ${during.status}, ${during.ms} ms / ${mb(rssBefore)} → ${mb(rssDuring)} MB; ` +
        `nginx (worker_connections ${flood * 2 + 100}): ${ng ? `${ng.accepted} accepted, new client ${ng.status}, ${ng.ms} ms` : 'not run'}`,
      target: 'the new client gets 200',
      test: `${FILE} › connection flood`,
      details: {
        flood,
        accepted,
        openMs,
        during,
        rssBefore,
        rssDuring,
        nginx: ng,
        note: 'RSS is the test process: gateway and flooding client in one process',
      },
    });
    assert.equal(accepted, flood, 'every flood socket is accepted (below server.limits.maxConnections)');
    assert.equal(during.status, 200);
  } finally {
    await nginx?.stop();
    await up.close();
    await gw.close();
  }
});

test('connection flood over server.limits.maxConnections: the excess is closed cleanly, the gateway serves again as soon as the flood goes', async () => {
  const cap = FULL ? 1000 : 100;
  const flood = FULL ? 3000 : 300;
  const gw = await startTestGateway(
    config(`{ limits: { maxConnections: ${cap} }, timeouts: { headersMs: 30000, requestMs: 30000, drainMs: 1000 } }`),
  );
  try {
    const held = await openIdle(gw.port, flood);
    await sleep(500);
    const open = held.filter((h) => h.closedAt === undefined);
    const refused = held.filter((h) => h.closedAt !== undefined);
    const refusedWithBytes = refused.filter((h) => h.data !== '').length;
    const during = await newClient(gw.port);
    for (const h of held) h.socket.destroy();
    const t0 = Date.now();
    let after = await newClient(gw.port);
    while (after.status !== 200 && Date.now() - t0 < 5000) {
      await sleep(20);
      after = await newClient(gw.port);
    }
    const servedAgainMs = Date.now() - t0;
    recordFigure({
      id: 'connection-flood-capped',
      figure:
        'Connection flood over server.limits.maxConnections: cap / flood / held open / refused (closed, no bytes) / new client during / served again after',
      value: `${cap} / ${flood} / ${open.length} / ${refused.length} (${refusedWithBytes} with bytes) / ${during.status === 0 ? 'closed' : during.status} / ${servedAgainMs} ms`,
      target: 'held ≤ cap, the rest closed cleanly, 0 crashes, served again at once',
      test: `${FILE} › connection flood over server.limits.maxConnections`,
      details: {
        cap,
        flood,
        held: open.length,
        refused: refused.length,
        refusedWithBytes,
        during,
        after,
        servedAgainMs,
      },
    });
    assert.ok(open.length <= cap, `${open.length} held open over the cap ${cap}`);
    assert.equal(refused.length, flood - open.length);
    assert.equal(refusedWithBytes, 0, 'a refused connection is closed without bytes');
    assert.equal(after.status, 200, 'served again once the flood is gone');
  } finally {
    await gw.close();
  }
});
