import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { type TestContext, test } from 'node:test';
import { fixture } from '../../test/helpers/fixtures.js';
import { type RunningSample, type SampleKind, startSample, UNKNOWN_ID_HTML } from './index.js';

// The captured responses and health pages of the tutorial services (test/fixtures/README.md says where from).
const readCorpus = (file: string): Promise<string> =>
  readFile(fixture('corpus', 'backends', `aws-samples_http-api-aws-fargate-cdk__${file}`), 'utf8');

async function start(t: TestContext, kind: SampleKind, name?: string): Promise<RunningSample> {
  const sample = await startSample(kind, name === undefined ? {} : { name });
  t.after(() => sample.close());
  return sample;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return res.json();
}

test('greeting: counts calls from 1 per instance and defaults the name to World', async (t) => {
  const a = await start(t, 'greeting', 'greeting-a');
  const b = await start(t, 'greeting');
  const res = await fetch(`${a.url}/api/greeting`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(res.headers.get('x-served-by'), 'greeting-a');
  assert.equal(await res.text(), '{"id":1,"content":"Hello, World!"}');
  assert.deepEqual(await getJson(`${a.url}/api/greeting`), { id: 2, content: 'Hello, World!' });
  assert.deepEqual(await getJson(`${a.url}/api/greeting?name=World`), { id: 3, content: 'Hello, World!' });
  assert.deepEqual(await getJson(`${b.url}/api/greeting`), { id: 1, content: 'Hello, World!' });
  assert.equal((await fetch(`${b.url}/api/greeting`)).headers.get('x-served-by'), 'greeting');
});

test('greeting: the name query parameter', async (t) => {
  const s = await start(t, 'greeting');
  const cases: Array<[query: string, content: string]> = [
    ['?name=Alice', 'Hello, Alice!'],
    ['?name=J%C3%BCrgen%20M.', 'Hello, Jürgen M.!'],
    ['?name=a+b', 'Hello, a b!'],
    ['?name=', 'Hello, World!'],
    ['?name=a&name=b', 'Hello, a,b!'],
    ['?other=1', 'Hello, World!'],
  ];
  for (const [i, [query, content]] of cases.entries()) {
    assert.deepEqual(await getJson(`${s.url}/api/greeting${query}`), { id: i + 1, content }, query);
  }
});

test('greeting: other paths are Spring-style 404 JSON', async (t) => {
  const s = await start(t, 'greeting', 'g1');
  for (const path of ['/x', '/api/greeting/', '/API/greeting', '/api/books']) {
    const res = await fetch(`${s.url}${path}?name=x`, { method: path === '/x' ? 'POST' : 'GET' });
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('x-served-by'), 'g1');
    assert.equal(await res.text(), JSON.stringify({ status: 404, error: 'Not Found', path }));
  }
});

test('greeting: methods other than GET, HEAD and OPTIONS get 405', async (t) => {
  const s = await start(t, 'greeting');
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const res = await fetch(`${s.url}/api/greeting`, { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get('allow'), 'GET,HEAD,OPTIONS');
    assert.deepEqual(await res.json(), { status: 405, error: 'Method Not Allowed', path: '/api/greeting' });
  }
  const head = await fetch(`${s.url}/api/greeting`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String('{"id":1,"content":"Hello, World!"}'.length));
  const options = await fetch(`${s.url}/api/greeting`, { method: 'OPTIONS' });
  assert.equal(options.status, 200);
  assert.equal(options.headers.get('allow'), 'GET,HEAD,OPTIONS');
  // HEAD ran the handler (as in Spring), 405s and OPTIONS did not.
  assert.deepEqual(await getJson(`${s.url}/api/greeting`), { id: 2, content: 'Hello, World!' });
});

const SERVICES = [
  { kind: 'books', list: 'captured__GET_api_books.response.json', health: 'src__book-service__healthcheck.html' },
  { kind: 'authors', list: 'captured__GET_api_authors.response.json', health: 'src__author-service__healthcheck.html' },
] as const;

for (const svc of SERVICES) {
  const base = `/api/${svc.kind}`;

  test(`${svc.kind}: GET ${base} is the captured response byte for byte`, async (t) => {
    const expected = await readCorpus(svc.list);
    const s = await start(t, svc.kind, `${svc.kind}-1`);
    const res = await fetch(`${s.url}${base}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('x-served-by'), `${svc.kind}-1`);
    assert.equal(await res.text(), expected);
    assert.equal(await (await fetch(`${s.url}${base.toUpperCase()}/?q=1`)).text(), expected, 'Express matching');
  });

  test(`${svc.kind}: GET ${base}/{id} is that item of the captured list`, async (t) => {
    const list = await readCorpus(svc.list);
    const items = JSON.parse(list) as Array<{ id: number }>;
    assert.equal(items.length, 6);
    const s = await start(t, svc.kind);
    for (const item of items) {
      const res = await fetch(`${s.url}${base}/${item.id}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(await res.text(), JSON.stringify(item));
    }
    // parseInt semantics and Express's lenient matching, as in the original index.js.
    for (const path of ['/2abc', '/2/', '/%32', '/0x2']) {
      assert.equal(await (await fetch(`${s.url}${base}${path}`)).text(), JSON.stringify(items[1]), path);
    }
  });

  test(`${svc.kind}: an unknown id is the service's own 404 HTML`, async (t) => {
    const s = await start(t, svc.kind, 'x1');
    for (const id of ['99', '0', 'abc']) {
      const res = await fetch(`${s.url}${base}/${id}`);
      assert.equal(res.status, 404, id);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(res.headers.get('x-served-by'), 'x1');
      assert.equal(await res.text(), UNKNOWN_ID_HTML);
    }
  });

  test(`${svc.kind}: GET ${base}/health is the service's healthcheck.html`, async (t) => {
    const expected = await readCorpus(svc.health);
    const s = await start(t, svc.kind, 'h1');
    const res = await fetch(`${s.url}${base}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=UTF-8');
    assert.equal(res.headers.get('x-served-by'), 'h1');
    assert.equal(await res.text(), expected);
  });

  test(`${svc.kind}: unmatched paths and methods get Express's "Cannot METHOD /path" 404`, async (t) => {
    const s = await start(t, svc.kind, 'u1');
    const cases: Array<[method: string, path: string]> = [
      ['GET', `${base}/1/extra`],
      ['GET', '/'],
      ['GET', '/api/greeting'],
      ['POST', base],
      ['DELETE', `${base}/1`],
    ];
    for (const [method, path] of cases) {
      const res = await fetch(`${s.url}${path}?q=1`, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(res.headers.get('content-security-policy'), "default-src 'none'");
      assert.equal(res.headers.get('x-served-by'), 'u1');
      const html = `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot ${method} ${path}</pre>\n</body>\n</html>\n`;
      assert.equal(await res.text(), html);
    }
  });
}

test('books: weak ETags, and If-None-Match gets a 304 as from Express', async (t) => {
  const s = await start(t, 'books');
  const first = await fetch(`${s.url}/api/books/1`);
  const etag = first.headers.get('etag');
  assert.match(etag ?? '', /^W\/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/);
  await first.arrayBuffer();
  // fetch() adds `cache-control: no-cache` to conditional requests unless told otherwise, and `fresh` honours it.
  const conditional = (path: string, cacheControl: string) =>
    fetch(`${s.url}${path}`, { headers: { 'if-none-match': etag ?? '', 'cache-control': cacheControl } });
  assert.equal((await conditional('/api/books/1', 'max-age=0')).status, 304);
  const noCache = await conditional('/api/books/1', 'no-cache');
  assert.equal(noCache.status, 200);
  await noCache.arrayBuffer();
  const other = await conditional('/api/books/2', 'max-age=0');
  assert.equal(other.status, 200);
  await other.arrayBuffer();
});

test('x-served-by tells two instances of a service apart', async (t) => {
  const instances = [await start(t, 'authors', 'authors-1'), await start(t, 'authors', 'authors-2')];
  const seen = [];
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${instances[i % 2]?.url}/api/authors/health`);
    await res.arrayBuffer();
    seen.push(res.headers.get('x-served-by'));
  }
  assert.deepEqual(seen, ['authors-1', 'authors-2', 'authors-1', 'authors-2']);
});

test('startSample: 127.0.0.1 on a free port; close() ends busy keep-alive sockets at once and is idempotent', async () => {
  const s = await startSample('greeting');
  assert.equal(s.kind, 'greeting');
  assert.equal(s.name, 'greeting');
  assert.ok(s.port > 0);
  assert.equal(s.url, `http://127.0.0.1:${s.port}`);
  assert.equal((await fetch(`${s.url}/api/greeting`)).status, 200);
  // A client stuck half-way through its request headers: server.close() alone would wait for it.
  const socket = connect(s.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write('GET /api/greeting HTTP/1.1\r\nhost: 127.0.0.1\r\n');
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  const started = Date.now();
  // If close() did wait for the client, give up from the client side after 2 s so this fails instead of hanging.
  const giveUp = setTimeout(() => socket.destroy(), 2000);
  await Promise.all([s.close(), s.close(), ended]);
  clearTimeout(giveUp);
  assert.ok(Date.now() - started < 1000, 'close() took more than a second');
  await assert.rejects(fetch(`${s.url}/api/greeting`));
});
