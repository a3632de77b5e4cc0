import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { gatewayFor, proxyYaml, upstreamFor } from './proxy-helpers.js';

/** Sends the head, records what arrives before the body is sent, then (if told to) sends the body. */
function expectExchange(
  port: number,
  head: string,
  body: string,
  sendBody: (early: string) => boolean,
): Promise<{ early: string; all: string }> {
  return new Promise((resolve, reject) => {
    let all = '';
    let early: string | undefined;
    const sock = connect(port, '127.0.0.1', () => sock.write(head));
    const timer = setTimeout(() => sock.destroy(), 3000);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      all += d;
      if (early === undefined) {
        early = all;
        if (sendBody(early)) sock.write(body);
      }
    });
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ early: early ?? '', all });
    });
  });
}

test('Expect: 100-continue: 100 is sent only once the request is accepted, then the body is proxied', async (t) => {
  const up = await upstreamFor(t, (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
    });
    req.on('end', () => res.end(`got ${n}`));
  });
  const gw = await gatewayFor(t, proxyYaml(up.url, { server: ['limits: { maxBodyBytes: 1000 }'] }));
  const head = (len: number, path = '/upload') =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${len}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;

  const ok = await expectExchange(gw.port, head(5), 'hello', (early) => early.startsWith('HTTP/1.1 100 Continue'));
  assert.match(ok.early, /^HTTP\/1\.1 100 Continue\r\n/);
  assert.match(ok.all, /HTTP\/1\.1 200 OK[\s\S]*got 5$/);

  const big = await expectExchange(gw.port, head(5000), 'x'.repeat(5000), () => false);
  assert.match(big.early, /^HTTP\/1\.1 413 /, 'a too-large upload is refused before 100 Continue');
  assert.doesNotMatch(big.all, /100 Continue/);
  assert.equal(up.requests.length, 1);
});

test('Expect: 100-continue on an unknown route: the error comes without 100 Continue', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, proxyYaml(up.url, { type: 'rest' }));
  const r = await expectExchange(
    gw.port,
    'POST /nostage HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    'hello',
    () => false,
  );
  assert.match(r.early, /^HTTP\/1\.1 403 /);
  assert.doesNotMatch(r.all, /100 Continue/);
  assert.equal(up.requests.length, 0);
});
