import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { parseRaw, rawExchange } from '../proxy/proxy-helpers.js';
import { corpusYaml, exchange, type RecordingUpstream, startRecordingUpstream } from './harness.js';

/**
 * One regression test per framing defect the reliability suite found; each was accepted (or answered
 * out of order) before the fix in src/server/request-checks.ts or src/gateway.ts.
 */
const H = 'Host: a\r\n';

const REJECTED: [defect: string, payload: string][] = [
  [
    'defect: a duplicate Host header was accepted (Node keeps the first)',
    `GET /x HTTP/1.1\r\nHost: a\r\nHost: evil.example\r\n\r\n`,
  ],
  ['defect: two identical Host headers were accepted', `GET /x HTTP/1.1\r\n${H}${H}\r\n`],
  [
    'defect: Transfer-Encoding ",chunked" was accepted as chunked',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n`,
  ],
  [
    'defect: Transfer-Encoding "identity, chunked" was accepted as chunked',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n`,
  ],
  [
    'defect: Transfer-Encoding "gzip, chunked" was accepted as chunked',
    `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
  ],
  [
    'defect: Transfer-Encoding on HTTP/1.0 was accepted',
    `POST /x HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  ],
  ['defect: an HTTP/0.9 request line was answered', `GET /x\r\n\r\n`],
  ['defect: Host with userinfo (evil:80@a) selected host "evil"', `GET /x HTTP/1.1\r\nHost: evil.example:80@a\r\n\r\n`],
  ['defect: a fragment in the request target was forwarded', `GET /x#/../smuggled HTTP/1.1\r\n${H}\r\n`],
];

describe('framing defects: regression tests', () => {
  let up: RecordingUpstream;
  let gw: TestGateway;
  before(async () => {
    up = await startRecordingUpstream();
    gw = await startTestGateway(corpusYaml(up.origin));
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  for (const [defect, payload] of REJECTED) {
    test(`${defect}: now 400 JSON, Connection: close, the connection closed, nothing forwarded`, async () => {
      const before = up.seen.length;
      const ex = await rawExchange(gw.port, payload);
      assert.equal(ex.closedByServer, true, 'the gateway closes the connection');
      const r = parseRaw(ex.data);
      assert.equal(r.status, 400);
      assert.equal(r.get('connection'), 'close');
      assert.equal(r.get('content-type'), 'application/json');
      assert.match(r.body, /^\{"message":\s?"Bad Request"\}$/);
      assert.equal(up.seen.length, before, 'nothing reached the upstream');
    });
  }

  test("defect: a parse error after a pipelined request was answered 400 ahead of that request's response", async () => {
    // GET /x is valid and proxied; the bytes after it are garbage. The 400 used to be written at once,
    // before the proxied 200, so the client read it as the answer to GET /x.
    const ex = await exchange(gw.port, `GET /x HTTP/1.1\r\n${H}\r\n\rZGET /evil: HTTP/1.1\r\n${H}\r\n`, 2);
    assert.deepEqual(ex.statuses, [200, 400]);
    assert.equal(ex.closed, true);
    assert.ok(!up.seen.some((s) => s.url.includes('evil')));
  });

  test('defect: bytes pipelined after a Connection: close request were answered 400 ahead of its response', async () => {
    const ex = await exchange(
      gw.port,
      `GET /ok HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`,
      3,
    );
    assert.deepEqual(ex.statuses, [200]);
    assert.equal(ex.closed, true);
    assert.ok(!up.seen.some((s) => s.url.includes('smuggled')));
  });

  test("defect: an unknown Expect got Node's 417 with the connection kept open and the body unread", async () => {
    const ex = await rawExchange(
      gw.port,
      `POST /ok HTTP/1.1\r\n${H}Expect: 10-continue\r\nContent-Length: 3\r\n\r\nabc`,
    );
    assert.equal(ex.closedByServer, true);
    const r = parseRaw(ex.data);
    assert.equal(r.status, 417);
    assert.equal(r.get('connection'), 'close');
  });

  test('regression: a malformed chunk in the body of the request being proxied still gets its 400 at once (not after the upstream times out)', async () => {
    const ex = await rawExchange(
      gw.port,
      `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n`,
      { limitMs: 3000 },
    );
    assert.equal(ex.closedByServer, true);
    assert.equal(parseRaw(ex.data).status, 400);
  });

  test('defect: CONNECT got no answer (Node dropped the socket); now 400 with Connection: close', async () => {
    const ex = await rawExchange(gw.port, 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
    assert.equal(ex.closedByServer, true);
    const r = parseRaw(ex.data);
    assert.equal(r.status, 400);
    assert.equal(r.get('connection'), 'close');
  });

  test('defect: a request pipelined behind a refused one (duplicate Host, bad Transfer-Encoding) was still forwarded', async () => {
    for (const first of [
      `POST /p1 HTTP/1.1\r\n${H}${H}Content-Length: 0\r\n\r\n`,
      `POST /p1 HTTP/1.1\r\n${H}Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n`,
    ]) {
      const before = up.seen.length;
      const ex = await exchange(gw.port, `${first}GET /smuggled HTTP/1.1\r\n${H}\r\n`, 5);
      assert.deepEqual(ex.statuses, [400]);
      assert.equal(ex.closed, true);
      assert.equal(up.seen.length, before, 'nothing behind the refused request reached the upstream');
    }
  });

  test('a request pipelined behind a 413 is not forwarded either', async () => {
    const before = up.seen.length;
    const big = `POST /p1 HTTP/1.1\r\n${H}Content-Length: 20000000\r\n\r\n`;
    const ex = await exchange(gw.port, `${big}GET /smuggled HTTP/1.1\r\n${H}\r\n`, 6);
    assert.equal(ex.statuses[0], 413);
    assert.equal(up.seen.length, before);
  });

  test('a trailing dot in Host names the same host; mixed case too', async () => {
    for (const host of ['a.example.', 'A.Example']) {
      const ex = await exchange(gw.port, `GET /ok HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 4);
      assert.deepEqual(ex.statuses, [200]);
    }
  });
});
