import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTestCa } from '../helpers/certs.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { h2call, h2session } from '../helpers/h2-client.js';
import { ERR, FLAG, FRAME, frame, get, headersFrame, hpack, RawH2, rstStream, settings } from '../helpers/h2-frames.js';

// HTTP/2 limits and attacks (docs/edge.md#http2), with hand-written frames: streams beyond
// maxConcurrentStreams, header lists over the limit, rapid reset (CVE-2023-44487), CONTINUATION
// floods (CVE-2024-27983 / CVE-2024-28182). After each attack the gateway serves a new connection.

let t: TestGateway;
let up: TestUpstream;
let h2cPort: number;
let tlsPort: number;
const held: ServerResponse[] = [];

before(async () => {
  const ca = await createTestCa();
  const leaf = await ca.leaf(['localhost']);
  const dir = await mkdtemp(join(tmpdir(), 'portico-h2l-'));
  await writeFile(join(dir, 'leaf.pem'), leaf.cert);
  await writeFile(join(dir, 'leaf.key'), leaf.key);
  up = await startUpstream((req, res) => {
    if (req.url === '/hold') held.push(res);
    else res.end('ok');
  });
  t = await startTestGateway(`
version: 1
server:
  limits: { maxHeaderBytes: 4096 }
  extraListeners:
    - listen: 127.0.0.1:0
      http2: { h2c: true, maxConcurrentStreams: 4, rapidReset: { maxResets: 20, windowMs: 10000 } }
    - listen: 127.0.0.1:0
      tls: { certificates: [{ cert: ${dir}/leaf.pem, key: ${dir}/leaf.key }] }
      http2: { rapidReset: { maxResets: 20, windowMs: 10000 } }
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /ok
        integration: { type: mock, statusCode: 200, body: fine }
      - route: GET /up/{proxy+}
        integration: { type: http_proxy, uri: '${up.url}/{proxy}' }
`);
  h2cPort = Number(new URL(t.gw.extraUrls[0]!).port);
  tlsPort = Number(new URL(t.gw.extraUrls[1]!).port);
});
after(async () => {
  for (const r of held) r.end();
  await t?.close();
  await up?.close();
});

/** A new connection still gets a 200: the gateway kept serving. */
async function stillServes(port: number, tls = false): Promise<void> {
  const c = await RawH2.open(port, tls);
  c.send(headersFrame(1, get('/ok')));
  assert.ok(await c.until(() => c.status(1) !== undefined), 'no response on a new connection');
  assert.equal(c.status(1), 200);
  c.close();
}

test('streams beyond maxConcurrentStreams: refused (REFUSED_STREAM) while the limit is unacknowledged, the open ones answered', async () => {
  // All in one write with the preface: the server has not had our SETTINGS ACK when it reads them.
  const c = await RawH2.open(
    h2cPort,
    false,
    Buffer.concat([
      settings(),
      ...[1, 3, 5, 7].map((id) => headersFrame(id, get('/up/hold'))),
      headersFrame(9, get('/ok')),
    ]),
  );
  assert.ok(await c.until(() => c.rst(9) !== undefined));
  assert.equal(c.rst(9), ERR.REFUSED_STREAM);
  await c.until(() => held.length === 4, 3000);
  assert.equal(held.length, 4);
  for (const r of held.splice(0)) r.end('released');
  assert.ok(await c.until(() => [1, 3, 5, 7].every((id) => c.status(id) === 200)));
  assert.equal(c.goaway(), undefined);
  // A stream slot is free again: a new stream on the same connection is served.
  c.send(headersFrame(11, get('/ok')));
  assert.ok(await c.until(() => c.status(11) === 200));
  c.close();
});

test('a client that exceeds the acknowledged stream limit gets GOAWAY (nghttp2: a connection error); others are unaffected', async () => {
  const c = await RawH2.open(h2cPort, false);
  await c.until((f) => f.some((x) => x.type === FRAME.SETTINGS && !(x.flags & FLAG.ACK)));
  await new Promise((r) => setTimeout(r, 50));
  for (const id of [1, 3, 5, 7]) c.send(headersFrame(id, get('/up/hold')));
  await c.until(() => held.length === 4, 3000);
  c.send(headersFrame(9, get('/ok')));
  assert.ok(await c.until(() => c.goaway() !== undefined));
  assert.equal(c.status(9), undefined);
  for (const r of held.splice(0)) r.end();
  c.close();
  await stillServes(h2cPort);
});

test('a header list over maxHeaderBytes is a 431 with the HTTP/1.1 body (5 KB, and 60 KB over CONTINUATION frames), never forwarded', async () => {
  const s = h2session(`http://127.0.0.1:${h2cPort}`);
  try {
    const r = await h2call(s, '/ok', { headers: { 'x-big': 'a'.repeat(5000) } });
    assert.equal(r.status, 431);
    assert.equal(r.body, '{"message":"Request Header Fields Too Large"}');
    // The connection goes on.
    assert.equal((await h2call(s, '/ok')).status, 200);
  } finally {
    s.close();
  }
  // 60 KB of headers in HEADERS + 3 CONTINUATION frames (16 KB each, the default frame size): never forwarded.
  const c = await RawH2.open(h2cPort, false);
  const block = hpack(get('/up/huge', 'localhost', [['x-huge', 'b'.repeat(60_000)]]));
  const parts = [0, 1, 2, 3].map((i) => block.subarray(i * 16_000, Math.min(block.length, (i + 1) * 16_000)));
  c.send(
    frame(FRAME.HEADERS, 0, 1, parts[0]!),
    frame(FRAME.CONTINUATION, 0, 1, parts[1]!),
    frame(FRAME.CONTINUATION, 0, 1, parts[2]!),
    frame(FRAME.CONTINUATION, FLAG.END_HEADERS | 0, 1, Buffer.concat(parts.slice(3))),
  );
  const before = up.requests.length;
  const cut = await c.until(
    () => c.rst(1) !== undefined || c.goaway() !== undefined || c.frames.some((f) => f.type === FRAME.HEADERS),
  );
  assert.ok(cut);
  await c.until(() => c.frames.some((f) => f.type === FRAME.DATA && f.stream === 1 && f.flags & FLAG.END_STREAM));
  const body = Buffer.concat(c.frames.filter((f) => f.type === FRAME.DATA && f.stream === 1).map((f) => f.payload));
  assert.equal(body.toString(), '{"message":"Request Header Fields Too Large"}');
  assert.equal(up.requests.length, before, 'forwarded');
  c.close();
  await stillServes(h2cPort);
});

async function rapidReset(port: number, tls: boolean, n: number): Promise<RawH2> {
  const c = await RawH2.open(port, tls);
  for (let i = 0; i < n; i++) {
    const id = 1 + 2 * i;
    c.send(headersFrame(id, get('/up/slow')), rstStream(id, ERR.CANCEL));
  }
  return c;
}

test('rapid reset: a burst of HEADERS + RST_STREAM beyond maxResets gets GOAWAY ENHANCE_YOUR_CALM (h2c and TLS)', async () => {
  for (const [port, tls] of [
    [h2cPort, false],
    [tlsPort, true],
  ] as const) {
    const c = await rapidReset(port, tls, 200);
    assert.ok(await c.until(() => c.goaway() !== undefined), 'no GOAWAY');
    assert.equal(c.goaway()!.code, ERR.ENHANCE_YOUR_CALM);
    assert.ok(await c.until(() => c.closed), 'connection not closed');
    await stillServes(port, tls);
  }
});

test('a few resets (under maxResets) are normal: no GOAWAY, the connection keeps serving', async () => {
  const c = await rapidReset(h2cPort, false, 10);
  c.send(headersFrame(21, get('/ok')));
  assert.ok(await c.until(() => c.status(21) === 200));
  assert.equal(c.goaway(), undefined);
  c.close();
});

test('CONTINUATION flood: a header block that never ends is cut off, the gateway keeps serving', async () => {
  const c = await RawH2.open(h2cPort, false);
  c.send(frame(FRAME.HEADERS, 0, 1, hpack(get('/ok'))));
  let sent = 0;
  // Small frames, each a valid literal, none with END_HEADERS: bounded at 5,000.
  const cont = frame(FRAME.CONTINUATION, 0, 1, hpack([['x-f', 'a']]));
  for (; sent < 5000 && !c.closed; sent++) {
    c.send(cont);
    if (sent % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  assert.ok(await c.until(() => c.closed || c.goaway() !== undefined), 'the flood was not cut off');
  assert.ok(c.goaway() !== undefined || c.closed);
  assert.equal(c.status(1), undefined);
  c.close();
  await stillServes(h2cPort);
});

test('CONTINUATION flood of empty frames is cut off too', async () => {
  const c = await RawH2.open(h2cPort, false);
  c.send(frame(FRAME.HEADERS, 0, 1, hpack(get('/ok'))));
  const cont = frame(FRAME.CONTINUATION, 0, 1);
  for (let i = 0; i < 5000 && !c.closed; i++) {
    c.send(cont);
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  assert.ok(await c.until(() => c.closed || c.goaway() !== undefined), 'the flood was not cut off');
  c.close();
  await stillServes(h2cPort);
});
