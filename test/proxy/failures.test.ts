import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type IncomingMessage, request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { test } from 'node:test';
import { rawRequest } from '../helpers/gateway.js';
import {
  gatewayFor,
  parseRaw,
  proxyYaml,
  rawExchange,
  startRawUpstream,
  upstreamFor,
  waitFor,
} from './proxy-helpers.js';

// What the client sees when the upstream or the client itself misbehaves. Bodies are compared
// byte for byte with AWS's (reference §1.2): integration errors use the spaced `{"message": "…"}`.

const REST_500 = '{"message": "Internal server error"}';
const HTTP_500 = '{"message":"Internal Server Error"}';
const TIMEOUT_504 = '{"message": "Endpoint request timed out"}';

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const prefix = (type: 'rest' | 'http') => (type === 'rest' ? '/prod' : '');

for (const type of ['rest', 'http'] as const) {
  test(`${type}: integration timeout → 504 ${TIMEOUT_504}`, async (t) => {
    const up = await upstreamFor(t, () => {}); // never answers
    const gw = await gatewayFor(t, proxyYaml(up.url, { type, timeoutMs: 200 }));
    const res = await fetch(`${gw.url}${prefix(type)}/slow`);
    assert.equal(res.status, 504);
    assert.equal(await res.text(), TIMEOUT_504);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.match(String(res.headers.get('x-amzn-requestid')), /^[0-9a-f-]{36}$/);
    assert.equal(up.requests.length, 1);
  });

  test(`${type}: upstream refuses the connection → 500`, async (t) => {
    const gw = await gatewayFor(t, proxyYaml(`http://127.0.0.1:${await closedPort()}`, { type }));
    const res = await fetch(`${gw.url}${prefix(type)}/refused`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), type === 'rest' ? REST_500 : HTTP_500);
    assert.equal(res.headers.get('content-type'), 'application/json');
    if (type === 'rest') assert.equal(res.headers.get('x-amzn-errortype'), 'InternalServerErrorException');
    else assert.equal(res.headers.get('x-amzn-errortype'), null);
  });
}

test('integration timeout with a request body: the upstream reads it all and never answers → 504', async (t) => {
  let received = 0;
  const up = await upstreamFor(t, (req) => {
    req.on('data', (c: Buffer) => {
      received += c.length;
    });
  });
  const gw = await gatewayFor(t, proxyYaml(up.url, { timeoutMs: 200 }));
  const res = await fetch(`${gw.url}/slow-post`, { method: 'POST', body: 'x'.repeat(100_000) });
  assert.equal(res.status, 504);
  assert.equal(await res.text(), TIMEOUT_504);
  assert.equal(received, 100_000);
});

test('a pause in the client upload longer than timeoutMs is not an integration timeout', async (t) => {
  let received = 0;
  const up = await upstreamFor(t, (req, res) => {
    req.on('data', (c: Buffer) => {
      received += c.length;
    });
    req.on('end', () => res.end(String(received)));
  });
  // requestBufferBytes 0: the body streams from its first byte (by default bodies up to 64 KB are read whole first).
  const gw = await gatewayFor(t, proxyYaml(up.url, { timeoutMs: 200, server: ['limits: { requestBufferBytes: 0 }'] }));
  const req = request({ host: '127.0.0.1', port: gw.port, path: '/pause', method: 'POST', agent: false });
  const response = once(req, 'response') as Promise<[IncomingMessage]>;
  req.write('a'.repeat(1000));
  await waitFor('the upstream to receive the first part', () => received > 0);
  // The client, not the upstream, is slow here: well past timeoutMs (and undici's coarse timers).
  await new Promise((r) => setTimeout(r, 1500));
  req.end('b'.repeat(1000));
  const [res] = await response;
  assert.equal(res.statusCode, 200);
  assert.equal(Buffer.concat(await res.toArray()).toString(), '2000');
});

test('timeoutMs bounds the wait for response headers only: a slow but steady upstream is not cut off', async (t) => {
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('fast enough');
  });
  const gw = await gatewayFor(t, proxyYaml(up.url, { timeoutMs: 200 }));
  const res = await fetch(`${gw.url}/ok`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'fast enough');
});

test('an upstream that sends its head but no body byte within timeoutMs → 504', async (t) => {
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 });
    res.flushHeaders(); // and then nothing
  });
  const gw = await gatewayFor(t, proxyYaml(up.url, { timeoutMs: 200 }));
  const res = await fetch(`${gw.url}/head-only`);
  assert.equal(res.status, 504);
  assert.equal(await res.text(), TIMEOUT_504);
});

test('timeoutMs bounds the idle time between body chunks, not the whole body: a body dripping for 4× timeoutMs arrives whole', async (t) => {
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 8 });
    let sent = 0;
    const drip = setInterval(() => {
      res.write(String(sent++));
      if (sent === 8) {
        clearInterval(drip);
        res.end();
      }
    }, 100);
  });
  const gw = await gatewayFor(t, proxyYaml(up.url, { timeoutMs: 250 }));
  const res = await fetch(`${gw.url}/drip`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '01234567');
});

test('an upstream that stalls mid-body past timeoutMs: the client connection is cut, never a complete 200', async (t) => {
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 });
    res.write('only ten!!'); // and then nothing
  });
  const gw = await gatewayFor(t, proxyYaml(up.url, { timeoutMs: 200 }));
  const res = await fetch(`${gw.url}/stall`);
  assert.equal(res.status, 200);
  await assert.rejects(res.arrayBuffer());
});

test('upstream resets the connection before responding → 500', async (t) => {
  const up = await startRawUpstream(t, (socket) => {
    socket.once('data', () => socket.resetAndDestroy());
  });
  const gw = await gatewayFor(t, proxyYaml(up.origin, { type: 'rest' }));
  const res = await fetch(`${gw.url}/prod/reset`);
  assert.equal(res.status, 500);
  assert.equal(await res.text(), REST_500);
  assert.equal(res.headers.get('x-amzn-errortype'), 'InternalServerErrorException');
});

test('upstream closes the connection without a response → 500', async (t) => {
  const up = await startRawUpstream(t, (socket) => {
    socket.once('data', () => socket.end());
  });
  const gw = await gatewayFor(t, proxyYaml(up.origin));
  const res = await fetch(`${gw.url}/eof`);
  assert.equal(res.status, 500);
  assert.equal(await res.text(), HTTP_500);
});

test('upstream answers with malformed HTTP → 500', async (t) => {
  const cases: Array<[desc: string, response: string]> = [
    ['garbage', 'this is not http at all\r\n\r\n'],
    ['bad status line', 'HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n'],
    ['non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'],
    ['space before the header colon', 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok'],
    ['bare CR inside a header line', 'HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\nContent-Length: 2\r\n\r\nok'],
    ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n'],
  ];
  for (const [desc, response] of cases) {
    const up = await startRawUpstream(t, (socket) => {
      socket.once('data', () => socket.end(response));
    });
    const gw = await gatewayFor(t, proxyYaml(up.origin, { type: 'rest' }));
    const res = await fetch(`${gw.url}/prod/malformed`).catch((err: Error) => err);
    if (res instanceof Error) {
      assert.fail(`${desc}: the client connection failed instead of a 500 (${res.message})`);
    }
    const body = await res.text().catch((err: Error) => `<body error ${err.message}>`);
    assert.equal(res.status, 500, desc);
    assert.equal(body, REST_500, desc);
  }
});

test('upstream resets mid-body (Content-Length response cut short) → the body read fails', async (t) => {
  let clientHasHead = false;
  const up = await startRawUpstream(t, (socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789');
      waitFor('the client to get the response head', () => clientHasHead).then(
        () => socket.resetAndDestroy(),
        () => socket.destroy(),
      );
    });
  });
  const gw = await gatewayFor(t, proxyYaml(up.origin));
  const res = await fetch(`${gw.url}/cut`);
  clientHasHead = true;
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), '100');
  await assert.rejects(res.arrayBuffer());
});

test('upstream resets mid-body (chunked response cut short) → no terminating chunk reaches the client', async (t) => {
  let clientHasHead = false;
  const up = await startRawUpstream(t, (socket) => {
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n',
      );
      waitFor('the client to get the response head', () => clientHasHead).then(
        () => socket.resetAndDestroy(),
        () => socket.destroy(),
      );
    });
  });
  const gw = await gatewayFor(t, proxyYaml(up.origin));
  const ex = await rawExchange(gw.port, `GET /cut HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n\r\n`, {
    onData: (soFar) => {
      if (soFar.includes('0123456789')) clientHasHead = true;
    },
  });
  // The gateway keeps the client connection alive after a good response, so a close means it gave up.
  assert.equal(ex.closedByServer, true, 'the gateway did not close the client connection');
  const res = parseRaw(ex.data);
  assert.equal(res.status, 200);
  assert.deepEqual(res.all('transfer-encoding'), ['chunked']);
  assert.ok(res.body.includes('0123456789'), JSON.stringify(res.body));
  assert.ok(!res.body.endsWith('0\r\n\r\n'), `a terminating chunk was sent: ${JSON.stringify(res.body)}`);

  // fetch, likewise, does not accept the body as complete.
  clientHasHead = false;
  const viaFetch = await fetch(`${gw.url}/cut`);
  clientHasHead = true;
  await assert.rejects(viaFetch.text());
});

test('Content-Length over 10 MB → 413 with Connection: close, and the upstream sees nothing', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const ex = await rawExchange(
    gw.port,
    `POST /big HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nContent-Type: application/octet-stream\r\nContent-Length: 10485761\r\n\r\n`,
  );
  const res = parseRaw(ex.data);
  assert.equal(res.status, 413);
  assert.deepEqual(res.all('connection'), ['close']);
  assert.equal(res.get('content-type'), 'application/json');
  assert.equal(res.body, '{"message":"Request Too Long"}');
  assert.equal(ex.closedByServer, true);
  assert.equal(up.requests.length, 0);
});

test('Content-Length of exactly 10 MB is accepted', async (t) => {
  const up = await upstreamFor(t, (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
    });
    req.on('end', () => res.end(String(n)));
  });
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const res = await fetch(`${gw.url}/exact`, { method: 'POST', body: new Uint8Array(10 * 1024 * 1024) });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), String(10 * 1024 * 1024));
});

test('server.limits.maxBodyBytes applies to chunked bodies → 413, and to Content-Length up front', async (t) => {
  const up = await upstreamFor(t, (req, res) => {
    // Answers only after the whole body, so the gateway's verdict is the only early answer.
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
    });
    req.on('end', () => res.end(String(n)));
  });
  const gw = await gatewayFor(t, proxyYaml(up.url, { type: 'rest', server: ['limits: { maxBodyBytes: 1024 }'] }));
  const chunked = (sizes: number[]) =>
    [
      'POST /prod/limited HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'Transfer-Encoding: chunked',
      '',
      ...sizes.flatMap((n) => [n.toString(16), 'x'.repeat(n)]),
      '0',
      '',
      '',
    ].join('\r\n');

  const over = await rawExchange(gw.port, chunked([600, 600]));
  const res = parseRaw(over.data);
  assert.equal(res.status, 413);
  assert.equal(res.body, '{"message":"Request Too Long"}');
  assert.equal(res.get('x-amzn-errortype'), 'RequestTooLargeException');
  assert.deepEqual(res.all('connection'), ['close']);
  assert.equal(over.closedByServer, true);

  const atLimit = parseRaw(
    await rawRequest(gw.port, chunked([512, 512]).replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')),
  );
  assert.equal(atLimit.status, 200);
  assert.equal(atLimit.body, '1024');

  const cl = await rawExchange(
    gw.port,
    `POST /prod/limited HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nContent-Length: 1025\r\n\r\n`,
  );
  assert.equal(parseRaw(cl.data).status, 413);
  assert.equal(cl.closedByServer, true);
});

test('over-long request headers → 431 with a JSON body', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const ex = await rawExchange(
    gw.port,
    `GET /h HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
  );
  const res = parseRaw(ex.data);
  assert.equal(res.status, 431);
  assert.equal(res.get('content-type'), 'application/json');
  assert.deepEqual(JSON.parse(res.body), { message: 'Request Header Fields Too Large' });
  assert.equal(ex.closedByServer, true);
  assert.equal(up.requests.length, 0);

  // Many headers that add up past the limit count too; a large header under it does not.
  const many = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'b'.repeat(60)}`).join('\r\n');
  const manyRes = parseRaw(
    await rawRequest(gw.port, `GET /h HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n${many}\r\n\r\n`),
  );
  assert.equal(manyRes.status, 431);
  const under = await fetch(`${gw.url}/h`, { headers: { 'x-big': 'a'.repeat(8 * 1024) } });
  assert.equal(under.status, 200);
  await under.arrayBuffer();
});

test('malformed requests → 400 with a JSON body, and the connection is closed', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const cases: Array<[desc: string, payload: string]> = [
    ['garbage request line', 'THIS IS NOT HTTP\r\n\r\n'],
    ['unknown HTTP version', `GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`],
    ['space in the request target', 'GET /a b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
    [
      'Content-Length and Transfer-Encoding together',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['invalid header name', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'],
  ];
  for (const [desc, payload] of cases) {
    const ex = await rawExchange(gw.port, payload);
    const res = parseRaw(ex.data);
    assert.equal(res.status, 400, desc);
    assert.equal(res.get('content-type'), 'application/json', desc);
    assert.deepEqual(JSON.parse(res.body), { message: 'Bad Request' }, desc);
    assert.equal(ex.closedByServer, true, desc);
  }
  assert.equal(up.requests.length, 0);
});

test('an HTTP/1.1 request without Host → 400 with a JSON body', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const ex = await rawExchange(gw.port, 'GET / HTTP/1.1\r\n\r\n');
  const res = parseRaw(ex.data);
  assert.equal(res.status, 400);
  assert.equal(ex.closedByServer, true);
  assert.equal(up.requests.length, 0);
  assert.equal(res.get('content-type'), 'application/json');
  assert.equal(res.body, '{"message":"Bad Request"}');
});

test('mock integration: fixed status, headers and body; HEAD gets the headers only', async (t) => {
  const gw = await gatewayFor(
    t,
    [
      'version: 1',
      'admin: { enabled: false }',
      'apis:',
      '  - name: fixed',
      '    type: http',
      '    stages: { $default: {} }',
      '    routes:',
      '      - route: ANY /{proxy+}',
      '        integration:',
      '          type: mock',
      '          statusCode: 200',
      '          headers: { Content-Type: text/plain, X-Fixed: "yes" }',
      '          body: fixed-response',
      '      - route: GET /down',
      '        integration: { type: mock, statusCode: 503, body: \'{"status":"maintenance"}\' }',
      '      - route: GET /empty',
      '        integration: { type: mock }',
      '',
    ].join('\n'),
  );
  const res = await fetch(`${gw.url}/anything/at/all?x=1`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain');
  assert.equal(res.headers.get('x-fixed'), 'yes');
  assert.equal(res.headers.get('content-length'), '14');
  assert.match(String(res.headers.get('x-amzn-requestid')), /^[0-9a-f-]{36}$/);
  assert.equal(await res.text(), 'fixed-response');

  const post = await fetch(`${gw.url}/form`, { method: 'POST', body: 'ignored' });
  assert.equal(post.status, 200);
  assert.equal(await post.text(), 'fixed-response');

  const down = await fetch(`${gw.url}/down`);
  assert.equal(down.status, 503);
  assert.equal(down.headers.get('content-type'), 'application/json');
  assert.equal(await down.text(), '{"status":"maintenance"}');

  const empty = await fetch(`${gw.url}/empty`);
  assert.equal(empty.status, 200);
  assert.equal(empty.headers.get('content-length'), '0');
  assert.equal(await empty.text(), '');

  // HEAD: the same head, no body bytes on the wire.
  const head = parseRaw(
    await rawRequest(gw.port, `HEAD /anything HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
  );
  assert.equal(head.status, 200);
  assert.equal(head.get('content-type'), 'text/plain');
  assert.equal(head.get('content-length'), '14');
  assert.equal(head.body, '');
});
