import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type ClientRequest, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { gatewayFor, proxyYaml, upstreamFor, waitFor } from './proxy-helpers.js';

// Bodies stream through the gateway in both directions: 50 MB each way arrives intact, the far end
// sees bytes before the near end has sent them all, and a stalled reader stalls the writer instead of
// filling the gateway's memory. No assertion is about time; waits are bounded and fail loudly.
// RSS is not asserted: client, gateway and upstream share this process, and GC timing moved it by up
// to ~38 MB per 50 MB transfer. The stall tests bound the bytes in flight instead (~12 MB here).

const MB = 1024 * 1024;
const TOTAL = 50 * MB;
const CHUNK = 64 * 1024;
const BASE = randomBytes(CHUNK);

/** Chunk i of a deterministic body: BASE with the chunk index stamped in, so reordering or loss changes the hash. */
function chunkAt(i: number): Buffer {
  const c = Buffer.from(BASE);
  c.writeUInt32BE(i, 0);
  c.writeUInt32BE(i, CHUNK - 4);
  return c;
}

const bigBodyYaml = (origin: string) => proxyYaml(origin, { server: ['limits: { maxBodyBytes: 104857600 }'] });

/** Writes `total` bytes of the deterministic body, honouring backpressure; returns its sha256. */
async function writeBody(out: ClientRequest | ServerResponse, total: number, from = 0): Promise<string> {
  const hash = createHash('sha256');
  for (let i = from, sent = from * CHUNK; sent < total; i++, sent += CHUNK) {
    const c = chunkAt(i);
    hash.update(c);
    if (!out.write(c)) await once(out, 'drain');
  }
  return hash.digest('hex');
}

function hashOf(from: number, to: number): string {
  const hash = createHash('sha256');
  for (let i = from; i < to; i++) hash.update(chunkAt(i));
  return hash.digest('hex');
}

/** Reads a message to its end, hashing it; rejects if it errors or closes early. */
async function readHashed(msg: IncomingMessage): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of msg) {
    hash.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

function post(port: number, path: string, headers: Record<string, string | number> = {}): ClientRequest {
  return request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false });
}

function responseOf(req: ClientRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
}

/** Upstream that hashes the request body and answers {bytes, sha256}. */
function hashingHandler(req: IncomingMessage, res: ServerResponse): void {
  readHashed(req).then(
    (r) => res.end(JSON.stringify(r)),
    () => res.destroy(),
  );
}

test('a 50 MB chunked request body reaches the upstream intact', async (t) => {
  const up = await upstreamFor(t, hashingHandler);
  const gw = await gatewayFor(t, bigBodyYaml(up.url));
  const req = post(gw.port, '/upload');
  const response = responseOf(req);
  const sent = await writeBody(req, TOTAL);
  req.end();
  const res = await response;
  assert.equal(res.statusCode, 200);
  const got = JSON.parse(Buffer.concat(await res.toArray()).toString());
  assert.deepEqual(got, { bytes: TOTAL, sha256: sent });
  assert.equal(up.requests[0]!.headers['content-length'], undefined);
  assert.equal(up.requests[0]!.headers['transfer-encoding'], 'chunked');
});

test('a 50 MB Content-Length request body reaches the upstream intact, with its length', async (t) => {
  const up = await upstreamFor(t, hashingHandler);
  const gw = await gatewayFor(t, bigBodyYaml(up.url));
  const req = post(gw.port, '/upload', { 'content-length': TOTAL, 'content-type': 'application/octet-stream' });
  const response = responseOf(req);
  const sent = await writeBody(req, TOTAL);
  req.end();
  const res = await response;
  assert.equal(res.statusCode, 200);
  assert.deepEqual(JSON.parse(Buffer.concat(await res.toArray()).toString()), { bytes: TOTAL, sha256: sent });
  assert.equal(up.requests[0]!.headers['content-length'], String(TOTAL));
});

test('a 50 MB response body reaches the client intact', async (t) => {
  let upstreamSha = '';
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL });
    writeBody(res, TOTAL).then(
      (sha) => {
        upstreamSha = sha;
        res.end();
      },
      () => res.destroy(),
    );
  });
  const gw = await gatewayFor(t, bigBodyYaml(up.url));
  const req = request({ host: '127.0.0.1', port: gw.port, path: '/download', agent: false });
  req.end();
  const res = await responseOf(req);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-length'], String(TOTAL));
  const got = await readHashed(res);
  assert.equal(got.bytes, TOTAL);
  assert.equal(got.sha256, upstreamSha);
  assert.equal(got.sha256, hashOf(0, TOTAL / CHUNK));
});

test('interlock: the upstream receives the first request chunk before the client sends the rest', async (t) => {
  let received = 0;
  let upstreamSha = '';
  const up = await upstreamFor(t, (req, res) => {
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => {
      received += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      upstreamSha = hash.digest('hex');
      res.end(String(received));
    });
  });
  // requestBufferBytes 0: the body streams from its first byte (by default bodies up to 64 KB are read whole first).
  const gw = await gatewayFor(
    t,
    proxyYaml(up.url, { server: ['limits: { maxBodyBytes: 104857600, requestBufferBytes: 0 }'] }),
  );
  const req = post(gw.port, '/interlock');
  const response = responseOf(req);
  req.write(chunkAt(0));
  // Were the body buffered until its end, this would never happen.
  await waitFor('the upstream to receive the first chunk', () => received > 0);
  assert.ok(received <= CHUNK);
  await writeBody(req, 4 * MB, 1);
  req.end();
  const res = await response;
  assert.equal(res.statusCode, 200);
  assert.equal(Buffer.concat(await res.toArray()).toString(), String(4 * MB));
  assert.equal(upstreamSha, hashOf(0, (4 * MB) / CHUNK));
});

test('interlock: the client receives the first response chunk before the upstream writes the rest', async (t) => {
  let clientGot = 0;
  let upstreamDone = false;
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(chunkAt(0));
    waitFor('the client to receive the first chunk', () => clientGot > 0)
      .then(() => writeBody(res, 4 * MB, 1))
      .then(
        () => {
          upstreamDone = true;
          res.end();
        },
        () => res.destroy(),
      );
  });
  const gw = await gatewayFor(t, bigBodyYaml(up.url));
  const req = request({ host: '127.0.0.1', port: gw.port, path: '/interlock', agent: false });
  req.end();
  const res = await responseOf(req);
  assert.equal(res.statusCode, 200);
  const hash = createHash('sha256');
  let firstSeenBeforeUpstreamDone: boolean | undefined;
  for await (const c of res) {
    if (clientGot === 0) firstSeenBeforeUpstreamDone = !upstreamDone;
    clientGot += (c as Buffer).length;
    hash.update(c as Buffer);
  }
  assert.equal(firstSeenBeforeUpstreamDone, true);
  assert.equal(clientGot, 4 * MB);
  assert.equal(hash.digest('hex'), hashOf(0, (4 * MB) / CHUNK));
});

/**
 * Writes chunks until a write has not drained for `stallMs`: the reader at the far end has stopped
 * and everything in between is full. Returns the bytes written by then (or `total` if it never stalled).
 */
async function writeUntilStalled(out: ClientRequest | ServerResponse, total: number, stallMs = 750): Promise<number> {
  let sent = 0;
  for (let i = 0; sent < total; i++) {
    sent += CHUNK;
    if (out.write(chunkAt(i))) continue;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      once(out, 'drain').then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), stallMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) return sent;
  }
  return sent;
}

test('backpressure: a client that stops reading stalls the upstream well before 50 MB', async (t) => {
  let stalledAt = -1;
  let resumeClient: () => void = () => {};
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL });
    writeUntilStalled(res, TOTAL)
      .then(async (sent) => {
        stalledAt = sent;
        resumeClient();
        let i = sent / CHUNK;
        for (let left = TOTAL - sent; left > 0; left -= CHUNK) if (!res.write(chunkAt(i++))) await once(res, 'drain');
        res.end();
      })
      .catch(() => res.destroy());
  });
  const gw = await gatewayFor(t, bigBodyYaml(up.url));
  const req = request({ host: '127.0.0.1', port: gw.port, path: '/slow-reader', agent: false });
  req.end();
  const res = await responseOf(req);
  assert.equal(res.statusCode, 200);
  res.pause();
  await new Promise<void>((r) => {
    resumeClient = r;
    if (stalledAt >= 0) r();
  });
  // Only socket buffers and stream high-water marks sit between the two ends.
  assert.ok(stalledAt < 40 * MB, `the upstream wrote ${stalledAt} bytes to a client that read nothing`);
  const got = await readHashed(res);
  assert.equal(got.bytes, TOTAL);
  assert.equal(got.sha256, hashOf(0, TOTAL / CHUNK));
});

for (const framing of ['content-length', 'chunked'] as const) {
  test(`backpressure: an upstream that stops reading stalls a ${framing} client upload well before 50 MB`, async (t) => {
    let startReading: () => void = () => {};
    const reading = new Promise<void>((r) => {
      startReading = r;
    });
    let upstreamGotRequest = false;
    const up = await upstreamFor(t, (req, res) => {
      upstreamGotRequest = true;
      // Nothing reads the body until the client has stalled.
      reading
        .then(() => readHashed(req))
        .then(
          (r) => res.end(JSON.stringify(r)),
          () => res.destroy(),
        );
    });
    const gw = await gatewayFor(t, bigBodyYaml(up.url));
    const req = post(gw.port, '/slow-upstream', framing === 'chunked' ? {} : { 'content-length': TOTAL });
    const response = responseOf(req);
    const stalledAt = await writeUntilStalled(req, TOTAL);
    assert.ok(stalledAt < 40 * MB, `the client wrote ${stalledAt} bytes to an upstream that read nothing`);
    assert.ok(upstreamGotRequest, 'the upstream got the request before the body ended');
    startReading();
    let i = stalledAt / CHUNK;
    for (let left = TOTAL - stalledAt; left > 0; left -= CHUNK) if (!req.write(chunkAt(i++))) await once(req, 'drain');
    req.end();
    const res = await response;
    assert.equal(res.statusCode, 200);
    assert.deepEqual(JSON.parse(Buffer.concat(await res.toArray()).toString()), {
      bytes: TOTAL,
      sha256: hashOf(0, TOTAL / CHUNK),
    });
  });
}

test('a client abort mid-response cancels the upstream request', async (t) => {
  let upstreamClosed = false;
  let upstreamFinished = false;
  const up = await upstreamFor(t, (req, res) => {
    if (req.url === '/after') return void res.end('after');
    res.on('close', () => {
      upstreamClosed = true;
    });
    res.on('finish', () => {
      upstreamFinished = true;
    });
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(chunkAt(0)); // and never end
  });
  const gw = await gatewayFor(t, bigBodyYaml(up.url));
  const req = request({ host: '127.0.0.1', port: gw.port, path: '/abort', agent: false });
  req.on('error', () => {});
  req.end();
  const res = await responseOf(req);
  assert.equal(res.statusCode, 200);
  let gotData = false;
  res.on('error', () => {});
  res.on('data', () => {
    gotData = true;
  });
  await waitFor('the first response bytes', () => gotData);
  req.destroy();
  await waitFor('the upstream response to close', () => upstreamClosed);
  assert.equal(upstreamFinished, false);

  // The gateway keeps serving.
  const after = await fetch(`${gw.url}/after`);
  assert.equal(after.status, 200);
  assert.equal(await after.text(), 'after');
});

test('a client abort mid-upload cancels the upstream request', async (t) => {
  let received = 0;
  let upstreamAborted = false;
  const up = await upstreamFor(t, (req, res) => {
    req.on('data', (c: Buffer) => {
      received += c.length;
    });
    req.on('close', () => {
      if (!req.complete) upstreamAborted = true;
    });
    req.on('end', () => res.end('complete'));
  });
  const gw = await gatewayFor(t, bigBodyYaml(up.url));
  const req = post(gw.port, '/abort-upload', { 'content-length': 10 * MB });
  req.on('error', () => {});
  req.write(chunkAt(0));
  await waitFor('the upstream to receive the first chunk', () => received > 0);
  req.destroy();
  await waitFor('the upstream request to be aborted', () => upstreamAborted);
  assert.ok(received < 10 * MB);
});
