import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

/** listeners.<name>: ALB rules (path-pattern, host-header, weighted forward, fixed response) over real upstreams. */
test('a listener routes by ALB path and host patterns, weights forwards and answers its default', async (t) => {
  const servers = await Promise.all(
    ['books', 'authors', 'canary', 'admin'].map((name) =>
      startUpstream((req, res) => res.end(JSON.stringify({ name, url: req.url }))),
    ),
  );
  t.after(() => Promise.all(servers.map((s) => s.close())));
  const [books, authors, canary, admin] = servers.map((s) => s.url);
  const gw = await startTestGateway(`
version: 1
upstreams:
  books: { targets: [{ url: "${books}" }] }
  authors: { targets: [{ url: "${authors}" }] }
  canary: { targets: [{ url: "${canary}" }] }
  admin: { targets: [{ url: "${admin}" }] }
listeners:
  alb:
    rules:
      - { hosts: ["admin.*"], forward: [{ upstream: admin }] }
      - { paths: ["/api/books*"], forward: [{ upstream: books, weight: 3 }, { upstream: canary, weight: 1 }] }
      - { paths: ["/api/authors*", "/api/writer?"], forward: [{ upstream: authors }] }
    default: { fixedResponse: { statusCode: 404, body: "no rule" } }
apis:
  - name: app
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, listener: alb }
`);
  t.after(() => gw.close());
  const get = async (path: string, host?: string) => {
    const r = await call(gw.port, 'GET', path, host ? { host } : {});
    return r.status === 200 ? (JSON.parse(r.body) as { name: string }).name : `${r.status} ${r.body}`;
  };
  // No segment boundary: "/api/books*" also takes /api/booksellers, as on ALB.
  assert.equal(await get('/api/authors/1'), 'authors');
  assert.equal(await get('/api/writers'), 'authors');
  assert.equal(await get('/api/writer'), '404 no rule');
  assert.equal(await get('/other'), '404 no rule');
  assert.equal(await get('/api/books', 'ADMIN.example.com:8080'), 'admin');
  const picks = [];
  for (let i = 0; i < 8; i++) picks.push(await get(i % 2 ? '/api/books/1' : '/api/booksellers'));
  assert.deepEqual(picks, ['books', 'books', 'canary', 'books', 'books', 'books', 'canary', 'books']);
});

test('a listener forwarding to an unknown upstream is a located config error', async () => {
  await assert.rejects(
    startTestGateway(`
version: 1
upstreams: { books: { targets: [{ url: "http://127.0.0.1:9" }] } }
listeners:
  alb: { rules: [{ paths: ["/a*"], forward: [{ upstream: bookz }] }], default: { forward: [{ upstream: books }] } }
apis:
  - name: app
    type: http
    stages: { $default: {} }
    routes: [{ route: "ANY /{proxy+}", integration: { type: http_proxy, listener: alb } }]
`),
    /listeners\.alb\.rules\[0\]\.forward\[0\]\.upstream.*unknown upstream "bookz"; defined: books/,
  );
});
