import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

// Issue 16: an unsolicited `100 Continue` from a backend, sent before a valid 200, became a 500.
// RFC 9110 §15.2: interim responses before the final one are parsed and may be ignored.

/** What the raw backend writes before its final 200, by request path. */
const INTERIM: Record<string, string> = {
  '/continue': 'HTTP/1.1 100 Continue\r\n\r\n',
  '/processing': 'HTTP/1.1 102 Processing\r\n\r\n',
  '/hints': 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n',
  '/all':
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n',
};

/** A keep-alive HTTP/1.1 backend on raw sockets: per request, its interim responses, then 200 "ok <path>". */
function rawBackend(): Promise<{ server: Server; url: string; requests: number }> {
  const state = { requests: 0 };
  const server = createServer((socket: Socket) => {
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.slice(0, end);
        const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        buf = buf.slice(end + 4 + len);
        state.requests++;
        // The named upstream gets the whole path (/named/continue), the URI integration its last segment.
        const path = `/${(head.split(' ')[1] ?? '/').split('/').pop()}`;
        const body = `ok ${path}`;
        socket.write(
          `${INTERIM[path] ?? ''}HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(
        Object.assign(state, { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }) as {
          server: Server;
          url: string;
          requests: number;
        },
      ),
    ),
  );
}

describe('an unsolicited 100 Continue from a backend', () => {
  let backend: Awaited<ReturnType<typeof rawBackend>>;
  let t: TestGateway;

  before(async () => {
    backend = await rawBackend();
    t = await startTestGateway(`
version: 1
upstreams:
  raw: { targets: [{ url: "${backend.url}" }], retries: { attempts: 0 } }
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /uri/{p}
        integration: { type: http_proxy, uri: "${backend.url}/{p}" }
      - route: ANY /named/{proxy+}
        integration: { type: http_proxy, upstream: raw }
`);
  });
  after(async () => {
    await t.close();
    await new Promise((r) => backend.server.close(r));
  });

  for (const via of ['uri', 'named']) {
    it(`is passed over, and so are 102 and 103, on the ${via} path: the client gets the final 200`, async () => {
      for (const p of Object.keys(INTERIM)) {
        // Twice each, so the second request reuses the keep-alive connection the interim responses crossed.
        for (let i = 0; i < 2; i++) {
          const r = await call(t.port, 'GET', `/${via}${p}`);
          assert.equal(r.status, 200, `${via}${p}: ${r.status} ${r.body}`);
          assert.equal(r.body, `ok ${p}`);
        }
      }
      const post = await call(t.port, 'POST', `/${via}/continue`, { 'content-type': 'text/plain' }, 'hello');
      assert.equal(post.status, 200);
      assert.equal(post.body, 'ok /continue');
    });
  }
});
