import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { writeHandlers } from './function-helpers.js';

const ISE = '{"message": "Internal server error"}';

describe('function integration: responses validated as AWS does', () => {
  let h: Awaited<ReturnType<typeof writeHandlers>>;
  let t: TestGateway;
  // POST the function's result as the body; the function returns it (LocalStack's recorded test, §1.9).
  const rest = (result: unknown, headers: Record<string, string> = {}) =>
    call(
      t.port,
      'POST',
      '/test/fn',
      { 'content-type': 'application/json', ...headers },
      result === undefined ? undefined : JSON.stringify(result),
    );
  const http = (result: unknown) =>
    call(t.port, 'POST', '/h/fn', { 'content-type': 'application/json' }, JSON.stringify(result));

  before(async () => {
    h = await writeHandlers();
    t = await startTestGateway(`
version: 1
apis:
  - name: rest
    type: rest
    binaryMediaTypes: [image/png]
    stages: { test: {} }
    routes:
      - route: POST /fn
        integration: { type: function, handler: ${h.path('from-body.mjs')}#handler }
      - route: GET /bin
        integration: { type: function, handler: ${h.path('binary.mjs')}#handler }
      - route: POST /bin
        integration: { type: function, handler: ${h.path('binary.mjs')}#handler }
      - route: GET /cb
        integration: { type: function, handler: ${h.path('echo.mjs')}#callback }
      - route: GET /sync
        integration: { type: function, handler: ${h.path('echo.mjs')}#sync }
  - name: http
    type: http
    basePath: /h
    stages: { $default: {} }
    routes:
      - route: POST /fn
        integration: { type: function, handler: ${h.path('from-body.mjs')}#handler }
      - route: GET /bin
        integration: { type: function, handler: ${h.path('binary.mjs')}#handler }
`);
  });
  after(async () => {
    await t.close();
    await h.close();
  });

  describe('payload 1.0 (the recorded LocalStack cases)', () => {
    it('{statusCode: 200} → 200, empty body, application/json', async () => {
      const r = await rest({ statusCode: 200 });
      assert.equal(r.status, 200);
      assert.equal(r.body, '');
      assert.equal(r.headers['content-type'], 'application/json');
    });
    it('boolean header values become "true"/"false"; headers: null is fine', async () => {
      const r = await rest({
        statusCode: 200,
        headers: { 'test-header': 'value', 'header-bool': true, 'header-false': false },
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers['test-header'], 'value');
      assert.equal(r.headers['header-bool'], 'true');
      assert.equal(r.headers['header-false'], 'false');
      assert.equal((await rest({ statusCode: 200, headers: null })).status, 200);
    });
    for (const [name, result] of [
      ['an unknown top-level key', { statusCode: 200, wrongValue: 'value' }],
      ['no payload at all (the function returned nothing)', undefined],
      ['a plain string', 'justAString'],
      ['a non-numeric statusCode', { statusCode: 'test' }],
      [
        'a multiValueHeaders value that is not a list',
        { statusCode: 200, multiValueHeaders: { 'test-multi-invalid': 'value1' } },
      ],
      ['a nested header value', { statusCode: 200, headers: { test: { nested: 'value' } } }],
      ['a number header value', { statusCode: 200, headers: { n: 1 } }],
      ['a non-string body', { statusCode: 200, body: { a: 1 } }],
      ['an array', [1, 2]],
      ['a header value with CR/LF', { statusCode: 200, headers: { x: 'a\r\nInjected: 1' } }],
    ] as const) {
      it(`${name} → 502 {"message": "Internal server error"}`, async () => {
        const r = await rest(result);
        assert.equal(r.status, 502);
        assert.equal(r.body, ISE);
        assert.equal(r.headers['x-amzn-errortype'], 'InternalServerErrorException');
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.headers.injected, undefined);
      });
    }
    it('a numeric-string statusCode is accepted', async () => {
      assert.equal((await rest({ statusCode: '201' })).status, 201);
    });
    it('only headers → 200', async () => {
      const r = await rest({ headers: { 'test-header': 'value' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers['test-header'], 'value');
      assert.equal(r.body, '');
    });
    it('multiValueHeaders are joined, then a headers value of the same name (any case) follows them (recorded: value-multi, value-solo)', async () => {
      let r = await rest({ statusCode: 200, multiValueHeaders: { 'test-multi': ['value1', 'value2'] } });
      assert.equal(r.headers['test-multi'], 'value1, value2');
      r = await rest({
        statusCode: 200,
        multiValueHeaders: { 'test-multi': ['value-multi'] },
        headers: { 'test-multi': 'value-solo' },
      });
      assert.equal(r.headers['test-multi'], 'value-multi, value-solo');
      r = await rest({
        statusCode: 200,
        multiValueHeaders: { 'tesT-Multi': ['value-multi'] },
        headers: { 'test-multi': 'value-solo', other: 'o' },
      });
      assert.equal(r.headers['test-multi'], 'value-multi, value-solo');
      assert.equal(r.headers.other, 'o');
    });
    it('multi-value set-cookie stays one line per cookie', async () => {
      const r = await rest({ statusCode: 200, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] } });
      assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    });
    it('isBase64Encoded without a matching Accept: the body stays base64 text; with it: decoded', async () => {
      const b64 = Buffer.from('test-data').toString('base64');
      assert.equal((await rest({ statusCode: 200, body: b64, isBase64Encoded: true })).body, b64);
      assert.equal((await rest({ statusCode: 200, body: b64 })).body, b64);
      const r = await rest({ statusCode: 200, body: b64, isBase64Encoded: true }, { accept: 'image/png' });
      assert.equal(r.body, 'test-data');
    });
    it('binary bodies both ways: a binary media type reaches the function base64-encoded', async () => {
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      const raw = await fetch(`http://127.0.0.1:${t.port}/test/bin`, {
        method: 'POST',
        headers: { 'content-type': 'image/png', accept: 'image/png' },
        body: bytes,
      });
      assert.equal(raw.status, 200);
      assert.deepEqual(Buffer.from(await raw.arrayBuffer()), bytes);
      assert.equal(raw.headers.get('x-got'), `true, ${bytes.toString('base64')}`);
      const text = await call(t.port, 'GET', '/test/bin', { accept: 'application/json' });
      assert.equal(text.body, bytes.toString('base64'));
    });
    it('callback-style and synchronous handlers', async () => {
      const cb = await call(t.port, 'GET', '/test/cb');
      assert.equal(cb.status, 201);
      assert.equal(cb.body, 'cb');
      const s = await call(t.port, 'GET', '/test/sync');
      assert.equal(s.status, 202);
      assert.equal(s.body, 'sync');
    });
  });

  describe('payload 2.0', () => {
    it('no statusCode: 200 application/json with the result as the body', async () => {
      let r = await http({ message: 'hi' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.body, '{"message":"hi"}');
      r = await http('Hello from Lambda!');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'Hello from Lambda!');
    });
    it('cookies become set-cookie lines; headers and status pass', async () => {
      const r = await http({
        statusCode: 201,
        headers: { 'x-a': 'b' },
        cookies: ['c1=v1; Path=/', 'c2=v2'],
        body: 'made',
      });
      assert.equal(r.status, 201);
      assert.equal(r.headers['x-a'], 'b');
      assert.deepEqual(r.headers['set-cookie'], ['c1=v1; Path=/', 'c2=v2']);
      assert.equal(r.body, 'made');
    });
    it('base64 bodies are always decoded', async () => {
      const r = await fetch(`http://127.0.0.1:${t.port}/h/bin`);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), Buffer.from([0, 1, 2, 253, 254, 255]));
    });
    it('a malformed structured response → 500 {"message":"Internal Server Error"}', async () => {
      for (const bad of [
        { statusCode: 'x' },
        { statusCode: 200, headers: 'h' },
        { statusCode: 200, cookies: 'c' },
        { statusCode: 200, body: 5 },
      ]) {
        const r = await http(bad);
        assert.equal(r.status, 500, JSON.stringify(bad));
        assert.equal(r.body, '{"message":"Internal Server Error"}');
      }
    });
  });
});

describe('function integration: the body is buffered within server.limits.maxBodyBytes', () => {
  it('a chunked body past the limit → 413 without invoking; within it → passed whole', async () => {
    const h = await writeHandlers();
    const t = await startTestGateway(`
version: 1
server: { limits: { maxBodyBytes: 1000 } }
apis:
  - name: l
    type: http
    stages: { $default: {} }
    routes:
      - route: POST /fn
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
`);
    try {
      const post = (size: number) =>
        fetch(`http://127.0.0.1:${t.port}/fn`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode('x'.repeat(size)));
              c.close();
            },
          }),
          duplex: 'half',
        } as RequestInit);
      const big = await post(5000);
      assert.equal(big.status, 413);
      await big.arrayBuffer();
      const ok = await post(900);
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { event: { body: string } }).event.body, 'x'.repeat(900));
    } finally {
      await t.close();
      await h.close();
    }
  });
});
