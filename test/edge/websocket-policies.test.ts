import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { SignJWT } from 'jose';
import WebSocket, { WebSocketServer } from 'ws';
import { gatewayFor } from '../proxy/proxy-helpers.js';

// The upgrade request runs the whole pipeline (docs/edge.md#websocket): a WAF rule and an authorizer
// refuse it with their normal responses before any upstream sees it; an upgraded connection whose
// client stops reading is cut by the slow-client watch (server.timeouts.sendMs), not kept for the
// idle timeout. Keys and throttling on upgrades are in websocket.test.ts.

const SECRET = 'a-shared-secret-of-at-least-32-characters!';

async function wsUpstream(t: TestContext, onOpen?: (ws: WebSocket) => void) {
  const server = createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  const seen: string[] = [];
  wss.on('connection', (ws, req) => {
    seen.push(req.url ?? '');
    ws.on('error', () => ws.terminate());
    if (onOpen) onOpen(ws);
    else ws.send('hello');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    server.closeAllConnections();
    server.close();
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, wss };
}

function yaml(origin: string, extra: { api?: string; route?: string; server?: string } = {}): string {
  return `version: 1
admin: { enabled: false }
server:
  timeouts: { drainMs: 500${extra.server ?? ''} }
apis:
  - name: ws
    type: http
    stages: { $default: {} }
${extra.api ?? ''}
    routes:
      - route: ANY /{proxy+}
${extra.route ?? ''}
        integration: { type: http_proxy, uri: "${origin}/{proxy}" }
`;
}

/** Opens a WebSocket; resolves with 101 or with the refusal's status and body. */
function tryWs(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ status: 101, body: '', ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

test('a WAF rule refuses an upgrade request with 403 before the upstream sees it; a clean one gets 101', async (t) => {
  const up = await wsUpstream(t);
  const waf = `    waf:
      rules:
        - name: no-evil-upgrades
          priority: 0
          action: { block: {} }
          statement: { byteMatchStatement: { searchString: evil, fieldToMatch: { singleHeader: { name: x-client } }, positionalConstraint: CONTAINS } }`;
  const gw = await gatewayFor(t, yaml(up.origin, { api: waf }));
  const url = `${gw.url.replace('http', 'ws')}/chat`;
  const refused = await tryWs(url, { 'x-client': 'evil-bot' });
  assert.equal(refused.status, 403);
  assert.deepEqual(JSON.parse(refused.body), { message: 'Forbidden' });
  assert.deepEqual(up.seen, [], 'the upstream never saw the refused upgrade');
  const ok = await tryWs(url, { 'x-client': 'browser' });
  assert.equal(ok.status, 101);
  ok.ws!.close();
  assert.deepEqual(up.seen, ['/chat']);
});

test('a JWT authorizer refuses an upgrade without a valid token (401) and lets a valid one upgrade', async (t) => {
  const up = await wsUpstream(t);
  const auth = `    authorizers:
      jwt: { type: jwt, issuer: https://issuer.test, audiences: [chat], secret: "${SECRET}" }`;
  const gw = await gatewayFor(t, yaml(up.origin, { api: auth, route: '        authorizer: jwt' }));
  const url = `${gw.url.replace('http', 'ws')}/room`;
  const none = await tryWs(url);
  assert.equal(none.status, 401);
  assert.deepEqual(JSON.parse(none.body), { message: 'Unauthorized' });
  const now = Math.floor(Date.now() / 1000);
  const sign = (aud: string) =>
    new SignJWT({ sub: 'u1', aud, iss: 'https://issuer.test', iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
  const wrong = await tryWs(url, { authorization: `Bearer ${await sign('other')}` });
  assert.equal(wrong.status, 401);
  assert.deepEqual(up.seen, [], 'no refused upgrade reached the upstream');
  const ok = await tryWs(url, { authorization: `Bearer ${await sign('chat')}` });
  assert.equal(ok.status, 101);
  ok.ws!.close();
  assert.deepEqual(up.seen, ['/room']);
});

test('an upgraded client that stops reading is cut after sendMs, long before the idle timeout', async (t) => {
  // The upstream floods; the client completes the handshake and then never reads.
  let closed!: () => void;
  const upstreamClosed = new Promise<void>((r) => (closed = r));
  const up = await wsUpstream(t, (ws) => {
    const chunk = Buffer.alloc(256 * 1024, 1);
    const pump = () => {
      while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 4 * 1024 * 1024) ws.send(chunk);
      if (ws.readyState === WebSocket.OPEN) setTimeout(pump, 20);
    };
    ws.on('close', () => closed());
    pump();
  });
  const gw = await gatewayFor(t, yaml(up.origin, { server: ', sendMs: 1000, websocketIdleMs: 600000' }));
  const port = Number(new URL(gw.url).port);
  const sock = connect(port, '127.0.0.1');
  t.after(() => sock.destroy());
  await once(sock, 'connect');
  sock.write(
    'GET /flood HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  const [first] = (await once(sock, 'data')) as [Buffer];
  assert.match(first.toString('latin1'), /^HTTP\/1\.1 101 /);
  sock.pause(); // never read again: the gateway's writes to this socket stall
  let bound: NodeJS.Timeout | undefined;
  const cut = await Promise.race([
    upstreamClosed.then(() => true),
    new Promise<boolean>((r) => (bound = setTimeout(() => r(false), 20000))),
  ]);
  clearTimeout(bound);
  assert.ok(cut, 'the tunnel was not cut within 20 s');
  // The gateway still serves.
  const res = await fetch(`${gw.url}/plain`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'plain');
});
