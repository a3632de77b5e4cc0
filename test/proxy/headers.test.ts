import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'node:net';
import { rawRequest, startTestGateway } from '../helpers/gateway.js';
import { gatewayFor, headerPairs, parseRaw, proxyYaml, upstreamFor } from './proxy-helpers.js';

// RFC 9110 §7.6.1: hop-by-hop fields and fields nominated by Connection are for one connection only.
// Requests that fetch would refuse to send (Connection, Keep-Alive, TE, Upgrade...) go over raw sockets.
// Every raw request says `Connection: close` so the gateway ends the connection after answering.

/** Names that must never reach the upstream, lower-case. */
const REQUEST_HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'x-foo',
  'x-bar',
];

test('hop-by-hop request headers and Connection-nominated headers are not forwarded', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const raw = await rawRequest(
    gw.port,
    [
      'GET /hop?x=1 HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'Connection: close, X-Foo',
      'Connection: x-bar',
      'Keep-Alive: timeout=5, max=100',
      'Proxy-Connection: keep-alive',
      'TE: trailers',
      'Trailer: X-Checksum',
      'Upgrade: websocket',
      'Proxy-Authorization: Basic dXNlcjpwYXNz',
      'X-Foo: nominated-1',
      'X-Bar: nominated-2',
      'X-Baz: end-to-end',
      'Authorization: Bearer end-to-end',
      '',
      '',
    ].join('\r\n'),
  );
  const res = parseRaw(raw);
  assert.equal(res.status, 200);
  assert.equal(up.requests.length, 1);
  const seen = headerPairs(up.requests[0]!.rawHeaders);
  const names = seen.map(([n]) => n);
  for (const name of REQUEST_HOP_BY_HOP) {
    // undici adds its own `connection: keep-alive` to pooled requests; the client's value must not appear.
    if (name === 'connection') {
      assert.deepEqual(
        seen.filter(([n]) => n === 'connection').map(([, v]) => v.toLowerCase()),
        names.includes('connection') ? ['keep-alive'] : [],
      );
      continue;
    }
    assert.ok(!names.includes(name), `${name} was forwarded: ${JSON.stringify(seen)}`);
  }
  assert.equal(up.requests[0]!.headers['x-baz'], 'end-to-end');
  assert.equal(up.requests[0]!.headers.authorization, 'Bearer end-to-end');
  assert.equal(up.requests[0]!.url, '/hop?x=1');
});

test('a chunked request is re-framed by the gateway, not forwarded with the client Transfer-Encoding line', async (t) => {
  const up = await upstreamFor(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(Buffer.concat(chunks)));
  });
  const gw = await gatewayFor(t, proxyYaml(up.url));
  // The upper-case spelling lets us tell the client's line from the one undici writes itself.
  const raw = await rawRequest(
    gw.port,
    [
      'POST /upload HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'Connection: close',
      'TRANSFER-ENCODING: chunked',
      '',
      '5',
      'hello',
      '6',
      ' world',
      '0',
      '',
      '',
    ].join('\r\n'),
  );
  const res = parseRaw(raw);
  assert.equal(res.status, 200);
  const rawHeaders = up.requests[0]!.rawHeaders;
  assert.ok(!rawHeaders.includes('TRANSFER-ENCODING'), `client's Transfer-Encoding line forwarded: ${rawHeaders}`);
  // undici frames the body itself: chunked, or Content-Length when the whole body had already arrived.
  const framing = headerPairs(rawHeaders).filter(([n]) => n === 'transfer-encoding' || n === 'content-length');
  assert.ok(
    framing.length === 1 &&
      (framing[0]![0] === 'content-length' ? framing[0]![1] === '11' : framing[0]![1] === 'chunked'),
    JSON.stringify(framing),
  );
  assert.ok(res.body.includes('hello world'), res.body);
});

test('Connection cannot strip the headers the gateway adds', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const raw = await rawRequest(
    gw.port,
    [
      'GET /strip HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'Connection: close, X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Port, Forwarded, X-Request-Id, Host',
      '',
      '',
    ].join('\r\n'),
  );
  assert.equal(parseRaw(raw).status, 200);
  const h = up.requests[0]!.headers;
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-port'], String(gw.port));
  assert.match(String(h.forwarded), /^for=127\.0\.0\.1;proto=http/);
  assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(h.host, `127.0.0.1:${up.port}`);
});

test('hop-by-hop and Connection-nominated response headers are not passed back to the client', async (t) => {
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, [
      ['Content-Type', 'text/plain'],
      ['Connection', 'X-Secret, keep-alive'],
      ['X-Secret', '1'],
      ['Keep-Alive', 'timeout=5, max=7'],
      ['Proxy-Connection', 'keep-alive'],
      ['Proxy-Authenticate', 'Basic realm="upstream"'],
      ['Trailer', 'X-Checksum'],
      ['Upgrade', 'h2c'],
      ['X-Kept', 'yes'],
    ]);
    res.end('ok');
  });
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const raw = await rawRequest(gw.port, `GET /r HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nConnection: close\r\n\r\n`);
  const res = parseRaw(raw);
  assert.equal(res.status, 200);
  assert.deepEqual(res.all('x-secret'), []);
  assert.deepEqual(res.all('proxy-connection'), []);
  assert.deepEqual(res.all('proxy-authenticate'), []);
  assert.deepEqual(res.all('trailer'), []);
  assert.deepEqual(res.all('upgrade'), []);
  // The gateway speaks for its own connection: it was asked to close it.
  assert.deepEqual(res.all('connection'), ['close']);
  assert.ok(!res.all('keep-alive').includes('timeout=5, max=7'), JSON.stringify(res.headers));
  assert.deepEqual(res.all('x-kept'), ['yes']);
  assert.deepEqual(res.all('transfer-encoding'), ['chunked']);
  assert.equal(res.body, '2\r\nok\r\n0\r\n\r\n');
});

test('a chunked upstream response is re-framed; its Transfer-Encoding line is not copied', async (t) => {
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('part1-');
    res.end('part2');
  });
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const raw = await rawRequest(gw.port, `GET /c HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nConnection: close\r\n\r\n`);
  const res = parseRaw(raw);
  assert.equal(res.status, 200);
  assert.deepEqual(res.all('transfer-encoding'), ['chunked']);
  assert.ok(res.body.endsWith('0\r\n\r\n'), JSON.stringify(res.body));
  assert.equal(
    res.body
      .split('\r\n')
      .filter((_, i) => i % 2 === 1)
      .join(''),
    'part1-part2',
  );
});

test('end-to-end headers pass both ways, repeated ones included (Cookie, Set-Cookie, custom)', async (t) => {
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, [
      ['Set-Cookie', 'a=1; Path=/; HttpOnly'],
      ['Set-Cookie', 'b=2; Path=/'],
      ['Cache-Control', 'no-store'],
      ['X-Multi', 'one'],
      ['X-Multi', 'two'],
      ['Content-Length', '0'],
    ]);
    res.end();
  });
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const raw = await rawRequest(
    gw.port,
    [
      'GET /cookies HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'Connection: close',
      'Cookie: a=1',
      'Cookie: b=2',
      'X-Multi: first',
      'X-Multi: second',
      'Accept: text/plain',
      'User-Agent: portico-test/1',
      '',
      '',
    ].join('\r\n'),
  );
  const res = parseRaw(raw);
  assert.equal(res.status, 200);
  assert.deepEqual(res.all('set-cookie'), ['a=1; Path=/; HttpOnly', 'b=2; Path=/']);
  assert.deepEqual(res.all('x-multi'), ['one', 'two']);
  assert.deepEqual(res.all('cache-control'), ['no-store']);
  const seen = headerPairs(up.requests[0]!.rawHeaders);
  assert.deepEqual(
    seen.filter(([n]) => n === 'cookie').map(([, v]) => v),
    ['a=1', 'b=2'],
  );
  assert.deepEqual(
    seen.filter(([n]) => n === 'x-multi').map(([, v]) => v),
    ['first', 'second'],
  );
  assert.equal(up.requests[0]!.headers.accept, 'text/plain');
  assert.equal(up.requests[0]!.headers['user-agent'], 'portico-test/1');

  // fetch sees the same: two separate cookies.
  const viaFetch = await fetch(`${gw.url}/cookies`);
  await viaFetch.arrayBuffer();
  assert.deepEqual(viaFetch.headers.getSetCookie(), ['a=1; Path=/; HttpOnly', 'b=2; Path=/']);
});

test('X-Forwarded-For/Proto/Port/Host and Forwarded are added; Host is the upstream authority', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const res = await fetch(`${gw.url}/fwd`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  const h = up.requests[0]!.headers;
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-port'], String(gw.port));
  assert.equal(h['x-forwarded-host'], `127.0.0.1:${gw.port}`);
  assert.equal(h.forwarded, `for=127.0.0.1;proto=http;host="127.0.0.1:${gw.port}"`);
  assert.equal(h.host, `127.0.0.1:${up.port}`);
  assert.equal(headerPairs(up.requests[0]!.rawHeaders).filter(([n]) => n === 'host').length, 1);
});

test('the request id is echoed to the client and forwarded upstream; a client-sent one does not duplicate it', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const res = await fetch(`${gw.url}/id`, {
    headers: { 'x-request-id': 'client-chosen', 'x-amzn-requestid': 'client-too' },
  });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  const id = res.headers.get('x-request-id');
  assert.match(String(id), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(res.headers.get('x-amzn-requestid'), id);
  const seen = headerPairs(up.requests[0]!.rawHeaders);
  assert.deepEqual(
    seen.filter(([n]) => n === 'x-request-id').map(([, v]) => v),
    [id],
  );
  assert.deepEqual(
    seen.filter(([n]) => n === 'x-amzn-requestid').map(([, v]) => v),
    [id],
  );

  // Each request gets its own id.
  const again = await fetch(`${gw.url}/id`);
  await again.arrayBuffer();
  assert.notEqual(again.headers.get('x-request-id'), id);
  assert.equal(up.requests[1]!.headers['x-request-id'], again.headers.get('x-request-id'));
});

test('without trustedProxies, client-sent forwarding headers are replaced, not extended', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const raw = await rawRequest(
    gw.port,
    [
      'GET /spoof HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'Connection: close',
      'X-Forwarded-For: 1.2.3.4',
      'X-Forwarded-For: 5.6.7.8',
      'X-Forwarded-Proto: https',
      'X-Forwarded-Port: 443',
      'X-Forwarded-Host: evil.example',
      'Forwarded: for=1.2.3.4;proto=https',
      '',
      '',
    ].join('\r\n'),
  );
  assert.equal(parseRaw(raw).status, 200);
  const seen = headerPairs(up.requests[0]!.rawHeaders);
  const values = (name: string) => seen.filter(([n]) => n === name).map(([, v]) => v);
  assert.deepEqual(values('x-forwarded-for'), ['127.0.0.1']);
  assert.deepEqual(values('x-forwarded-proto'), ['http']);
  assert.deepEqual(values('x-forwarded-port'), [String(gw.port)]);
  assert.deepEqual(values('x-forwarded-host'), [`127.0.0.1:${gw.port}`]);
  assert.deepEqual(values('forwarded'), [`for=127.0.0.1;proto=http;host="127.0.0.1:${gw.port}"`]);
});

test('with trustedProxies covering the peer, the incoming chain is kept and the peer appended', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url, { server: ['trustedProxies: [127.0.0.1/32]'] }));
  const raw = await rawRequest(
    gw.port,
    [
      'GET /trusted HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'Connection: close',
      'X-Forwarded-For: 1.2.3.4',
      'X-Forwarded-For: 10.0.0.9',
      'X-Forwarded-Proto: https',
      'X-Forwarded-Port: 443',
      'X-Forwarded-Host: api.example.com',
      'Forwarded: for=1.2.3.4;proto=https',
      '',
      '',
    ].join('\r\n'),
  );
  assert.equal(parseRaw(raw).status, 200);
  const seen = headerPairs(up.requests[0]!.rawHeaders);
  const values = (name: string) => seen.filter(([n]) => n === name).map(([, v]) => v);
  assert.deepEqual(values('x-forwarded-for'), ['1.2.3.4, 10.0.0.9, 127.0.0.1']);
  assert.deepEqual(values('x-forwarded-proto'), ['https']);
  assert.deepEqual(values('x-forwarded-port'), ['443']);
  assert.deepEqual(values('x-forwarded-host'), ['api.example.com']);
  assert.deepEqual(values('forwarded'), [
    `for=1.2.3.4;proto=https, for=127.0.0.1;proto=http;host="127.0.0.1:${gw.port}"`,
  ]);

  // A trusted peer that sends no forwarding headers is the client itself.
  const res = await fetch(`${gw.url}/trusted`);
  await res.arrayBuffer();
  assert.equal(up.requests[1]!.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(up.requests[1]!.headers['x-forwarded-proto'], 'http');
});

test('trustedProxies that do not cover the peer change nothing', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url, { server: ['trustedProxies: [10.0.0.0/8, "::1/128"]'] }));
  const res = await fetch(`${gw.url}/untrusted`, {
    headers: { 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https' },
  });
  await res.arrayBuffer();
  assert.equal(up.requests[0]!.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(up.requests[0]!.headers['x-forwarded-proto'], 'http');
});

test('HEAD and 204/304 responses pass their heads through without a body', async (t) => {
  const up = await upstreamFor(t, (req, res) => {
    if (req.url === '/no-content') return void res.writeHead(204, { 'x-done': '1' }).end();
    if (req.url === '/not-modified') return void res.writeHead(304, { etag: '"v1"' }).end();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5, etag: '"v1"' });
    res.end(req.method === 'HEAD' ? undefined : 'hello');
  });
  const gw = await gatewayFor(t, proxyYaml(up.url));
  const head = parseRaw(
    await rawRequest(gw.port, `HEAD /doc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
  );
  assert.equal(head.status, 200);
  assert.equal(head.get('content-length'), '5');
  assert.equal(head.get('etag'), '"v1"');
  assert.equal(head.body, '');
  assert.equal(up.requests[0]!.method, 'HEAD');

  const noContent = parseRaw(
    await rawRequest(gw.port, `DELETE /no-content HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
  );
  assert.equal(noContent.status, 204);
  assert.equal(noContent.get('x-done'), '1');
  assert.equal(noContent.body, '');

  const notModified = parseRaw(
    await rawRequest(
      gw.port,
      `GET /not-modified HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: "v1"\r\nConnection: close\r\n\r\n`,
    ),
  );
  assert.equal(notModified.status, 304);
  assert.equal(notModified.body, '');
  assert.equal(up.requests[2]!.headers['if-none-match'], '"v1"');
});

test('an IPv6 client: X-Forwarded-For holds the bare address, Forwarded quotes and brackets it', async (t) => {
  const up = await upstreamFor(t);
  const gw = await startTestGateway(proxyYaml(up.url, { server: ['trustedProxies: ["::1/128"]'] }), {
    listen: '[::1]:0',
  }).catch((err: Error) => err);
  if (gw instanceof Error) return t.skip(`no IPv6 loopback here: ${gw.message}`);
  t.after(() => gw.close());
  const raw = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(gw.port, '::1', () =>
      sock.write(
        `GET /v6 HTTP/1.1\r\nHost: [::1]:${gw.port}\r\nX-Forwarded-For: 2001:db8::7\r\nConnection: close\r\n\r\n`,
      ),
    );
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
  assert.equal(parseRaw(raw).status, 200);
  const h = up.requests[0]!.headers;
  assert.equal(h['x-forwarded-for'], '2001:db8::7, ::1');
  assert.equal(h.forwarded, `for="[::1]";proto=http;host="[::1]:${gw.port}"`);
  assert.equal(h['x-forwarded-host'], `[::1]:${gw.port}`);
});
