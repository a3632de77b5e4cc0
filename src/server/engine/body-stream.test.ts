import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { bodyStream } from './body-stream.js';
import type { EngineRequest } from './types.js';

/** A request that is only a chunk source (what a non-node:http engine gives), driven by the test. */
function chunkSource(): EngineRequest & { emit(e: string, ...a: unknown[]): boolean; paused: boolean } {
  const s = Object.assign(new EventEmitter(), {
    paused: false,
    complete: false,
    pause() {
      s.paused = true;
      return s;
    },
    resume() {
      s.paused = false;
      return s;
    },
    destroy() {
      return s;
    },
  });
  return s as never;
}

test('node:http requests are Readables already and are returned unchanged', () => {
  const r = new PassThrough();
  assert.equal(bodyStream(r as unknown as EngineRequest), r);
});

test('a chunk source becomes a Readable with its bytes in order, and pauses the source on backpressure', async () => {
  const src = chunkSource();
  const out = bodyStream(src);
  assert.ok(out instanceof Readable);
  const big = Buffer.alloc(64 * 1024, 1);
  src.emit('data', big);
  assert.equal(src.paused, true, 'a full buffer pauses the source');
  const first = await new Promise<Buffer>((r) => out.once('data', r));
  assert.equal(first.length, big.length);
  await new Promise((r) => setImmediate(r));
  assert.equal(src.paused, false, 'reading resumes the source');
  out.pause();
  src.emit('data', Buffer.from('end'));
  (src as { complete: boolean }).complete = true;
  src.emit('end');
  const got: Buffer[] = [first];
  for await (const c of out) got.push(c as Buffer);
  const all = Buffer.concat(got);
  assert.equal(all.length, big.length + 3);
  assert.equal(all.subarray(-3).toString(), 'end');
});

test('a source closed before its body is complete errors the Readable', async () => {
  const src = chunkSource();
  const out = bodyStream(src);
  src.emit('data', Buffer.from('part'));
  src.emit('close');
  await assert.rejects(async () => {
    for await (const _ of out) void _;
  }, /closed the connection/);
});
