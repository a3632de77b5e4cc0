import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/gateway.js';
import { call, type Reply } from './helpers/http-call.js';

// AWS route precedence end to end, through real sockets: reference §1.2 (not-found bodies) and §1.7.

const MISSING_TOKEN = '{"message":"Missing Authentication Token"}';
const NOT_FOUND = '{"message":"Not Found"}';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function gateway(t: TestContext, yaml: string): Promise<TestGateway> {
  const gw = await startTestGateway(yaml);
  t.after(() => gw.close());
  return gw;
}

async function upstream(t: TestContext): Promise<TestUpstream> {
  const up = await startUpstream();
  t.after(() => up.close());
  return up;
}

/** YAML lines for one route proxied to a URI. */
function route(key: string, uri: string): string {
  return `      - route: "${key}"\n        integration: { type: http_proxy, uri: "${uri}" }\n`;
}

function assertRequestId(r: Reply, what: string): string {
  const id = r.headers['x-amzn-requestid'];
  assert.match(String(id), UUID, `${what}: x-amzn-RequestId`);
  assert.equal(r.headers['x-request-id'], id, `${what}: x-request-id`);
  return id as string;
}

function assertMissingToken(r: Reply, method: string, what: string): void {
  assert.equal(r.status, 403, `${what}: status`);
  assert.equal(r.headers['content-type'], 'application/json', `${what}: content-type`);
  assert.equal(r.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException', `${what}: x-amzn-ErrorType`);
  assert.equal(r.headers['content-length'], String(MISSING_TOKEN.length), `${what}: content-length`);
  assert.equal(r.body, method === 'HEAD' ? '' : MISSING_TOKEN, `${what}: body`);
  assertRequestId(r, what);
}

function assertNotFound(r: Reply, method: string, what: string): void {
  assert.equal(r.status, 404, `${what}: status`);
  assert.equal(r.headers['content-type'], 'application/json', `${what}: content-type`);
  assert.equal(r.headers['x-amzn-errortype'], undefined, `${what}: no x-amzn-ErrorType on http APIs`);
  assert.equal(r.headers['content-length'], String(NOT_FOUND.length), `${what}: content-length`);
  assert.equal(r.body, method === 'HEAD' ? '' : NOT_FOUND, `${what}: body`);
  assertRequestId(r, what);
}

interface RouteCase {
  name: string;
  method: string;
  path: string;
  /** Path and query the upstream should receive, or the gateway's own not-found status. */
  want: string | 400 | 403 | 404;
}

async function runCases(t: TestContext, gw: TestGateway, up: TestUpstream, cases: readonly RouteCase[]): Promise<void> {
  for (const c of cases) {
    await t.test(`${c.name}: ${c.method} ${c.path}`, async () => {
      const what = `${c.method} ${c.path}`;
      const before = up.requests.length;
      const r = await call(gw.port, c.method, c.path);
      const seen = up.requests.slice(before);
      if (typeof c.want === 'string') {
        assert.equal(r.status, 200, `${what}: status (body ${r.body})`);
        assert.equal(seen.length, 1, `${what}: one upstream request`);
        assert.equal(seen[0]?.method, c.method, `${what}: upstream method`);
        assert.equal(seen[0]?.url, c.want, `${what}: upstream url`);
        assertRequestId(r, what);
      } else {
        assert.equal(seen.length, 0, `${what}: nothing reaches the upstream`);
        if (c.want === 400) assert.equal(r.status, 400, `${what}: refused`);
        else if (c.want === 403) assertMissingToken(r, c.method, what);
        else assertNotFound(r, c.method, what);
      }
    });
  }
}

test('rest API: AWS route precedence, methods, trailing slash, encoded params and stages', async (t) => {
  const up = await upstream(t);
  const u = up.url;
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: pets
    type: rest
    stages:
      prod: { variables: { tag: p } }
      beta: { variables: { tag: b } }
    routes:
${route('GET /pets', `${u}/static/pets`)}\
${route('GET /pets/mine', `${u}/static/mine`)}\
${route('GET /pets/{id}', `${u}/param/{id}`)}\
${route('ANY /pets/{proxy+}', `${u}/greedy/{proxy}`)}\
${route('ANY /things', `${u}/any/things`)}\
${route('POST /things', `${u}/post/things`)}\
${route('GET /get-only', `${u}/get-only`)}\
${route('HEAD /head-only', `${u}/head-only`)}\
${route('ANY /proxy/{proxy+}', `${u}/fallback/greedy/{proxy}`)}\
${route('ANY /proxy/bar/{param}', `${u}/fallback/param/{param}`)}\
${route('ANY /proxy/bar/baz', `${u}/fallback/static`)}\
${route('GET /stage', `${u}/stage/\${stageVariables.tag}`)}\
${route('GET /owners/{ownerId}/pets/{petId}', `${u}/owners/{ownerId}/{petId}`)}`,
  );
  await runCases(t, gw, up, [
    { name: 'static route', method: 'GET', path: '/prod/pets', want: '/static/pets' },
    { name: 'static beats {param}', method: 'GET', path: '/prod/pets/mine', want: '/static/mine' },
    { name: '{param} beats {proxy+}', method: 'GET', path: '/prod/pets/7', want: '/param/7' },
    { name: 'greedy takes several segments', method: 'GET', path: '/prod/pets/7/toys/1', want: '/greedy/7/toys/1' },
    {
      name: 'method missing on {param} falls back to ANY {proxy+}',
      method: 'DELETE',
      path: '/prod/pets/7',
      want: '/greedy/7',
    },
    { name: 'trailing slash ignored (static)', method: 'GET', path: '/prod/pets/', want: '/static/pets' },
    { name: 'trailing slash ignored (param)', method: 'GET', path: '/prod/pets/7/', want: '/param/7' },
    { name: 'query string is passed on', method: 'GET', path: '/prod/pets/7?a=1&b=%20', want: '/param/7?a=1&b=%20' },
    { name: 'param stays URL-encoded', method: 'GET', path: '/prod/pets/a%20b', want: '/param/a%20b' },
    // Unlike AWS, an encoded slash or an empty segment is refused: a decoding or slash-merging
    // upstream would read /pets/a/b or /pets/7/x, which this router maps elsewhere (docs/security.md).
    { name: '%2F in a path is refused', method: 'GET', path: '/prod/pets/a%2Fb', want: 400 },
    { name: '// in a path is refused', method: 'GET', path: '/prod/pets/7//x', want: 400 },
    { name: 'static segment matches its encoded spelling', method: 'GET', path: '/prod/p%65ts', want: '/static/pets' },
    { name: 'two params', method: 'GET', path: '/prod/owners/ann/pets/7', want: '/owners/ann/7' },
    { name: 'explicit POST beats ANY', method: 'POST', path: '/prod/things', want: '/post/things' },
    { name: 'ANY serves GET', method: 'GET', path: '/prod/things', want: '/any/things' },
    { name: 'ANY serves PUT', method: 'PUT', path: '/prod/things', want: '/any/things' },
    { name: 'ANY serves PATCH', method: 'PATCH', path: '/prod/things', want: '/any/things' },
    { name: 'ANY serves OPTIONS', method: 'OPTIONS', path: '/prod/things', want: '/any/things' },
    { name: 'ANY serves HEAD', method: 'HEAD', path: '/prod/things', want: '/any/things' },
    { name: 'HEAD route', method: 'HEAD', path: '/prod/head-only', want: '/head-only' },
    { name: 'fallback to {param}', method: 'GET', path: '/prod/proxy/bar/x', want: '/fallback/param/x' },
    { name: 'fallback to {proxy+}', method: 'GET', path: '/prod/proxy/t/a/b', want: '/fallback/greedy/t/a/b' },
    { name: 'fallback keeps the exact static', method: 'GET', path: '/prod/proxy/bar/baz', want: '/fallback/static' },
    { name: 'stage prod with its variables', method: 'GET', path: '/prod/stage', want: '/stage/p' },
    { name: 'stage beta with its variables', method: 'GET', path: '/beta/stage', want: '/stage/b' },
    { name: 'stage beta serves the same routes', method: 'GET', path: '/beta/pets/7', want: '/param/7' },
    { name: 'HEAD does not fall back to GET', method: 'HEAD', path: '/prod/get-only', want: 403 },
    { name: 'ANY does not match PROPFIND', method: 'PROPFIND', path: '/prod/things', want: 403 },
    { name: 'wrong method', method: 'POST', path: '/prod/pets', want: 403 },
    { name: 'wrong method (GET on a HEAD route)', method: 'GET', path: '/prod/head-only', want: 403 },
    { name: 'unknown path', method: 'GET', path: '/prod/nope', want: 403 },
    { name: 'greedy needs a segment', method: 'GET', path: '/prod/proxy/', want: 403 },
    { name: 'stage root without a root route', method: 'GET', path: '/prod', want: 403 },
    { name: 'unknown stage', method: 'GET', path: '/gamma/pets', want: 403 },
    { name: 'no stage prefix', method: 'GET', path: '/pets', want: 403 },
    { name: 'stage names are case-sensitive', method: 'GET', path: '/PROD/pets', want: 403 },
    { name: 'paths are case-sensitive', method: 'GET', path: '/prod/Pets', want: 403 },
    { name: 'root', method: 'GET', path: '/', want: 403 },
  ]);
});

test('http API: full match, then {proxy+}, then $default with the full path; $default stage at the root', async (t) => {
  const up = await upstream(t);
  const u = up.url;
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
upstreams:
  echo: { targets: [{ url: "${u}" }] }
apis:
  - name: books
    type: http
    stages:
      $default: {}
      beta: {}
    routes:
${route('GET /books', `${u}/route/books`)}\
${route('GET /books/{id}', `${u}/route/books/{id}`)}\
${route('ANY /files/{proxy+}', `${u}/route/files/{proxy}`)}\
      - route: $default
        integration: { type: http_proxy, upstream: echo }
`,
  );
  await runCases(t, gw, up, [
    { name: 'full match at the root ($default stage)', method: 'GET', path: '/books', want: '/route/books' },
    { name: 'param', method: 'GET', path: '/books/9', want: '/route/books/9' },
    { name: 'param stays encoded', method: 'GET', path: '/books/a%20b', want: '/route/books/a%20b' },
    { name: 'trailing slash ignored', method: 'GET', path: '/books/', want: '/route/books' },
    { name: 'greedy', method: 'DELETE', path: '/files/a/b.txt', want: '/route/files/a/b.txt' },
    {
      name: '$default route gets the full path and query',
      method: 'GET',
      path: '/other/deep/x?q=1',
      want: '/other/deep/x?q=1',
    },
    { name: '$default route gets wrong-method requests', method: 'POST', path: '/books', want: '/books' },
    { name: '$default route gets HEAD when only GET is routed', method: 'HEAD', path: '/books', want: '/books' },
    { name: '$default route gets the root', method: 'GET', path: '/', want: '/' },
    { name: 'greedy needs a segment, so $default', method: 'GET', path: '/files/', want: '/files/' },
    { name: 'named stage beta', method: 'GET', path: '/beta/books/9', want: '/route/books/9' },
    {
      name: 'named stage: $default route gets the path after the stage',
      method: 'GET',
      path: '/beta/x/y',
      want: '/x/y',
    },
    { name: 'unknown stage falls to the $default stage', method: 'GET', path: '/gamma/books', want: '/gamma/books' },
  ]);
});

test('http API without a $default route: 404 {"message":"Not Found"} byte for byte', async (t) => {
  const up = await upstream(t);
  const u = up.url;
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: books
    type: http
    stages:
      $default: {}
      beta: {}
    routes:
${route('GET /books', `${u}/books`)}\
${route('ANY /files/{proxy+}', `${u}/files/{proxy}`)}`,
  );
  await runCases(t, gw, up, [
    { name: 'route', method: 'GET', path: '/books', want: '/books' },
    { name: 'beta stage', method: 'GET', path: '/beta/books', want: '/books' },
    { name: 'unknown path', method: 'GET', path: '/nope', want: 404 },
    { name: 'wrong method', method: 'POST', path: '/books', want: 404 },
    { name: 'HEAD does not fall back to GET', method: 'HEAD', path: '/books', want: 404 },
    { name: 'ANY does not match PROPFIND', method: 'PROPFIND', path: '/files/a', want: 404 },
    { name: 'greedy needs a segment', method: 'GET', path: '/files/', want: 404 },
    { name: 'root', method: 'GET', path: '/', want: 404 },
    { name: 'unknown path in a named stage', method: 'GET', path: '/beta/nope', want: 404 },
  ]);
});

test('http API with only a named stage: /beta/... is served, anything else is 404', async (t) => {
  const up = await upstream(t);
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: books
    type: http
    stages: { beta: {} }
    routes:
${route('GET /books', `${up.url}/books`)}`,
  );
  await runCases(t, gw, up, [
    { name: 'named stage', method: 'GET', path: '/beta/books', want: '/books' },
    { name: 'no stage prefix', method: 'GET', path: '/books', want: 404 },
    { name: 'unknown stage', method: 'GET', path: '/prod/books', want: 404 },
  ]);
});

test('several APIs told apart by hosts (exact and *.example.com) and basePath', async (t) => {
  const mock = (body: string) => `{ type: mock, body: "${body}" }`;
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: exact-host
    type: http
    hosts: [api.example.com]
    stages: { $default: {} }
    routes: [{ route: $default, integration: ${mock('exact-host')} }]
  - name: exact-host-admin
    type: rest
    hosts: [api.example.com]
    basePath: /admin
    stages: { prod: {} }
    routes: [{ route: "ANY /{proxy+}", integration: ${mock('exact-host-admin')} }]
  - name: wildcard-host
    type: http
    hosts: ["*.example.com"]
    stages: { $default: {} }
    routes: [{ route: $default, integration: ${mock('wildcard-host')} }]
  - name: v1
    type: rest
    basePath: /v1
    stages: { prod: {} }
    routes: [{ route: "ANY /{proxy+}", integration: ${mock('v1')} }]
  - name: v2
    type: rest
    basePath: /v2/api
    stages: { prod: {} }
    routes: [{ route: "GET /x", integration: ${mock('v2')} }]
  - name: any-host
    type: http
    stages: { $default: {} }
    routes: [{ route: "GET /{proxy+}", integration: ${mock('any-host')} }]
`,
  );
  const cases: { name: string; host: string; path: string; want: string | 403 | 404 }[] = [
    { name: 'exact host', host: 'api.example.com', path: '/x', want: 'exact-host' },
    { name: 'exact host, any case, with a port', host: 'API.Example.COM:8443', path: '/x', want: 'exact-host' },
    {
      name: 'exact host with base path and stage',
      host: 'api.example.com',
      path: '/admin/prod/x',
      want: 'exact-host-admin',
    },
    {
      name: 'exact host wins over a host-less base path',
      host: 'api.example.com',
      path: '/v1/prod/x',
      want: 'exact-host',
    },
    { name: 'wildcard host', host: 'shop.example.com', path: '/x', want: 'wildcard-host' },
    { name: 'wildcard does not match the apex', host: 'example.com', path: '/x', want: 'any-host' },
    { name: 'wildcard does not match a look-alike', host: 'badexample.com', path: '/x', want: 'any-host' },
    { name: 'other host', host: 'other.org', path: '/x', want: 'any-host' },
    { name: 'base path and stage', host: 'other.org', path: '/v1/prod/x', want: 'v1' },
    { name: 'two-segment base path', host: 'other.org', path: '/v2/api/prod/x', want: 'v2' },
    { name: 'rest API behind a base path: unknown route', host: 'other.org', path: '/v2/api/prod/y', want: 403 },
    {
      name: 'base path without the stage falls to the host-less $default',
      host: 'other.org',
      path: '/v1/x',
      want: 'any-host',
    },
  ];
  for (const c of cases) {
    await t.test(`${c.name}: Host ${c.host} GET ${c.path}`, async () => {
      const r = await call(gw.port, 'GET', c.path, { host: c.host });
      if (c.want === 403) assertMissingToken(r, 'GET', c.name);
      else if (c.want === 404) assertNotFound(r, 'GET', c.name);
      else {
        assert.equal(r.status, 200, c.name);
        assert.equal(r.body, c.want, c.name);
        assertRequestId(r, c.name);
      }
    });
  }
});

test('a host that only rest APIs serve answers unknown paths with 403; a host with an http API, 404', async (t) => {
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: rest-only
    type: rest
    hosts: [rest.example.com]
    stages: { prod: {} }
    routes: [{ route: "GET /x", integration: { type: mock } }]
  - name: http-only
    type: http
    hosts: [http.example.com]
    stages: { prod: {} }
    routes: [{ route: "GET /x", integration: { type: mock } }]
`,
  );
  assertMissingToken(
    await call(gw.port, 'GET', '/nostage/x', { host: 'rest.example.com' }),
    'GET',
    'rest host, unknown stage',
  );
  assertMissingToken(
    await call(gw.port, 'GET', '/prod/y', { host: 'rest.example.com' }),
    'GET',
    'rest host, unknown route',
  );
  assertNotFound(
    await call(gw.port, 'GET', '/nostage/x', { host: 'http.example.com' }),
    'GET',
    'http host, unknown stage',
  );
  assertNotFound(
    await call(gw.port, 'GET', '/prod/y', { host: 'http.example.com' }),
    'GET',
    'http host, unknown route',
  );
  assertNotFound(await call(gw.port, 'GET', '/prod/x', { host: 'nobody.example.com' }), 'GET', 'a host no API serves');
});

test('a rest stage and an http $default API share one listener, as in the demo', async (t) => {
  const greeting = await upstream(t);
  const books = await upstream(t);
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
upstreams:
  books: { targets: [{ url: "${books.url}" }] }
apis:
  - name: greeting
    type: rest
    stages: { production: {} }
    routes:
${route('ANY /{proxy+}', `${greeting.url}/{proxy}`)}\
  - name: bookstore
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /api/books
        integration: { type: http_proxy, upstream: books }
      - route: ANY /api/books/{proxy+}
        integration: { type: http_proxy, upstream: books }
`,
  );
  const r1 = await call(gw.port, 'GET', '/production/api/greeting?name=Ann');
  assert.equal(r1.status, 200);
  assert.equal(greeting.requests.at(-1)?.url, '/api/greeting?name=Ann');
  const r2 = await call(gw.port, 'GET', '/api/books');
  assert.equal(r2.status, 200);
  assert.equal(books.requests.at(-1)?.url, '/api/books');
  const r3 = await call(gw.port, 'GET', '/api/books/3');
  assert.equal(r3.status, 200);
  assert.equal(books.requests.at(-1)?.url, '/api/books/3');
  assert.equal(greeting.requests.length, 1);
  assert.equal(books.requests.length, 2);
  // Everything outside /production belongs to the http API, which has no $default route.
  assertNotFound(await call(gw.port, 'GET', '/api/authors'), 'GET', 'http API, unknown route');
  assertNotFound(await call(gw.port, 'GET', '/staging/api/greeting'), 'GET', 'unknown stage reaches the http API');
  // Inside /production the rest API answers, even with nothing after the stage.
  assertMissingToken(await call(gw.port, 'GET', '/production'), 'GET', 'rest stage root');
  assertMissingToken(await call(gw.port, 'PROPFIND', '/production/x'), 'PROPFIND', 'rest stage, unknown method');
});

test('every response carries one request id as x-amzn-RequestId and x-request-id; the upstream gets it too', async (t) => {
  const up = await upstream(t);
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
${route('GET /pets', `${up.url}/pets`)}\
      - route: GET /mock
        integration: { type: mock, body: ok }
  - name: books
    type: http
    basePath: /h
    stages: { $default: {} }
    routes:
${route('GET /books', `${up.url}/books`)}`,
  );
  const ids = new Set<string>();

  // Proxied success: the upstream saw the same id, and not a client-supplied one.
  const ok = await call(gw.port, 'GET', '/prod/pets', {
    'x-request-id': 'client-chosen',
    'x-amzn-requestid': 'client-chosen',
  });
  assert.equal(ok.status, 200);
  const id = assertRequestId(ok, 'proxied');
  ids.add(id);
  const seen = up.requests.at(-1);
  assert.equal(seen?.headers['x-request-id'], id);
  assert.equal(seen?.headers['x-amzn-requestid'], id);
  const echoed = JSON.parse(ok.body) as { headers: Record<string, string> };
  assert.equal(echoed.headers['x-request-id'], id);

  const responses: [string, Reply][] = [
    ['mock', await call(gw.port, 'GET', '/prod/mock')],
    ['rest 403', await call(gw.port, 'GET', '/prod/nope')],
    ['rest 403 for HEAD', await call(gw.port, 'HEAD', '/prod/nope')],
    ['rest 403 for an unknown stage', await call(gw.port, 'GET', '/nope/pets')],
    ['http 404', await call(gw.port, 'GET', '/h/nope')],
    ['http proxied', await call(gw.port, 'GET', '/h/books')],
  ];
  for (const [what, r] of responses) ids.add(assertRequestId(r, what));
  assert.equal(ids.size, responses.length + 1, 'every request gets its own id');
});
