import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, clusterConfig, type Node, sharedSecret, startNode, stopNode } from '../cluster/harness.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { parseRaw, rawExchange } from '../proxy/proxy-helpers.js';

/**
 * Containment on every listener (issue 16, item 1): a malformed request answers 4xx and never ends
 * the process; idle sockets are closed by the header timeout from accept on every listener; the
 * connection caps refuse cleanly.
 */

const port = (url: string) => Number(new URL(url).port);

function request(target: string, token?: string, method = 'GET'): string {
  return `${method} ${target} HTTP/1.1\r\nHost: a\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Connection: close\r\n\r\n`;
}

async function statusOf(p: number, payload: string): Promise<number> {
  const ex = await rawExchange(p, payload, { limitMs: 3000 });
  return parseRaw(ex.data).status;
}

describe('admin listener: malformed targets (portico start in a child process)', () => {
  let node: Node;
  before(async () => {
    node = await startNode(clusterConfig('{ kind: embedded }'), sharedSecret());
  });
  after(async () => {
    await stopNode(node);
  });

  // With the token: what each answers; without it every one is 401, before any route-specific step.
  const cases: [target: string, withToken: number][] = [
    ['/keys/%ZZ', 400],
    ['/upstreams/%E0%A4%A', 400],
    ['/keys/%E0%A4%A/usage', 400],
    ['//[', 404],
    ['http://a:99999/', 404],
    ['http://a:99999/status', 200],
    ['*', 400],
  ];

  test('a malformed admin path answers 400 and does not crash the gateway', async () => {
    for (const [target, expected] of cases) {
      assert.equal(await statusOf(port(node.adminUrl), request(target, ADMIN_TOKEN)), expected, target);
      assert.equal(
        await statusOf(port(node.adminUrl), request('/status', ADMIN_TOKEN)),
        200,
        `admin still answers after ${target}`,
      );
      assert.equal(
        await statusOf(port(node.url), request('/free')),
        200,
        `data listener still answers after ${target}`,
      );
    }
    assert.equal(node.proc.child.exitCode, null, 'the process is still running');
  });

  test('an unauthenticated malformed admin request answers 401 before any route-specific step', async () => {
    for (const [target] of cases) {
      const ex = await rawExchange(port(node.adminUrl), request(target), { limitMs: 3000 });
      const r = parseRaw(ex.data);
      assert.equal(r.status, 401, target);
      assert.match(r.get('www-authenticate') ?? '', /^Bearer /);
    }
    assert.equal(await statusOf(port(node.url), request('/free')), 200);
    assert.equal(node.proc.child.exitCode, null, 'the process is still running');
  });
});

/** Opens a socket and resolves with how long the server took to close it (or `boundMs` if it did not). */
function silentSocket(p: number, boundMs: number): Promise<{ ms: number; closedByServer: boolean; data: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let data = '';
    const s = connect(p, '127.0.0.1');
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('error', () => {});
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ms: boundMs, closedByServer: false, data });
    }, boundMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ ms: Date.now() - t0, closedByServer: true, data });
    });
  });
}

function mockConfig(server: string, admin = ''): string {
  return `version: 1
admin: { token: ${ADMIN_TOKEN}${admin} }
server: ${server}
apis:
  - name: m
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /ok, integration: { type: mock, statusCode: 200, body: ok } }
`;
}

describe('idle sockets: the header timeout runs from accept on every listener', () => {
  const HEADERS_MS = 300;
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(mockConfig(`{ timeouts: { headersMs: ${HEADERS_MS} } }`));
  });
  after(() => gw.close());

  // Bound: the timeout, Node's 500 ms check interval, and slack for a loaded machine.
  const BOUND_MS = HEADERS_MS + 500 + 2000;
  for (const listener of ['data', 'admin'] as const) {
    test(`the ${listener} listener closes a socket that never sends a byte within the header timeout`, async (t) => {
      const r = await silentSocket(port(listener === 'data' ? gw.url : gw.gw.adminUrl), BOUND_MS);
      t.diagnostic(`closed after ${r.ms} ms (headersMs ${HEADERS_MS})`);
      assert.equal(r.closedByServer, true, `still open after ${BOUND_MS} ms`);
      assert.ok(r.data === '' || r.data.startsWith('HTTP/1.1 408'), JSON.stringify(r.data));
    });
  }
});

/** Opens `n` idle sockets (from `localAddress`) and resolves once each is connected. */
async function idleSockets(p: number, n: number, localAddress = '127.0.0.1'): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect({ port: p, host: '127.0.0.1', localAddress }, () => resolve(s));
          s.on('error', reject);
        }),
    ),
  );
}

/** Waits until the server has accepted (or refused) what was opened: a tiny pause on loopback. */
const settle = () => new Promise((r) => setTimeout(r, 100));

describe('connection caps', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(
      mockConfig(
        '{ limits: { maxConnections: 8, maxConnectionsPerIp: 3 }, timeouts: { headersMs: 20000 } }',
        ', maxConnections: 4',
      ),
    );
  });
  after(() => gw.close());

  test('a client over server.limits.maxConnectionsPerIp gets 503 JSON and the connection is closed; other addresses are served', async () => {
    const held = await idleSockets(gw.port, 3, '127.0.0.2');
    await settle();
    try {
      const ex = await new Promise<{ data: string; closed: boolean }>((resolve) => {
        let data = '';
        const s = connect({ port: gw.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
        s.on('data', (d: Buffer) => (data += d.toString('latin1')));
        s.on('error', () => {});
        const timer = setTimeout(() => (s.destroy(), resolve({ data, closed: false })), 3000);
        s.on('close', () => (clearTimeout(timer), resolve({ data, closed: true })));
      });
      const r = parseRaw(ex.data);
      assert.equal(r.status, 503);
      assert.equal(r.get('connection'), 'close');
      assert.deepEqual(JSON.parse(r.body), { message: 'Too many connections from this address' });
      assert.equal(ex.closed, true);
      assert.equal(await statusOf(gw.port, request('/ok')), 200, 'another address is served');
    } finally {
      for (const s of held) s.destroy();
    }
    await settle();
    const again = await new Promise<string>((resolve) => {
      let data = '';
      const s = connect({ port: gw.port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => s.write(request('/ok')));
      s.on('data', (d: Buffer) => (data += d.toString('latin1')));
      s.on('close', () => resolve(data));
      s.on('error', () => {});
    });
    assert.equal(parseRaw(again).status, 200, 'the address is served again once its connections are gone');
  });

  for (const [listener, cap] of [
    ['data', 8],
    ['admin', 4],
  ] as const) {
    test(`the ${listener} listener refuses connections beyond its maxConnections cleanly and serves again once they go`, async () => {
      const p = port(listener === 'data' ? gw.url : gw.gw.adminUrl);
      // Spread over addresses so that only the listener's cap applies.
      const held: Socket[] = [];
      for (let i = 0; i < cap; i++) held.push(...(await idleSockets(p, 1, `127.0.1.${i + 1}`)));
      await settle();
      try {
        const over = await rawExchange(p, request(listener === 'data' ? '/ok' : '/status', ADMIN_TOKEN), {
          limitMs: 3000,
        });
        assert.equal(over.closedByServer, true, 'the connection over the cap is closed');
        assert.equal(over.data, '', 'and nothing is answered on it');
      } finally {
        for (const s of held) s.destroy();
      }
      await settle();
      assert.equal(await statusOf(p, request(listener === 'data' ? '/ok' : '/status', ADMIN_TOKEN)), 200);
    });
  }
});
