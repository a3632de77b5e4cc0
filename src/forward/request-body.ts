import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import type { RequestContext } from '../pipeline/context.js';
import { declaresBody } from '../server/request-checks.js';
import { readBodyPrefix } from '../waf/body.js';
import { BodyTooLargeError } from '../kernel/errors.js';
import { bodyStream } from '../server/engine/body-stream.js';

/** The body to dispatch upstream. */
export interface UpstreamBody {
  body: Buffer | Readable | null;
  /** The bytes are in memory (or there are none): a try can send them again. */
  replayable: boolean;
}

export interface BodyOptions {
  /** Key of the connection share: the origin, or `upstream:<name>`. */
  key: string;
  /** Read bodies up to this size whole before dispatching. */
  bufferBytes: number;
  maxBodyBytes: number;
  /** Longest wait for a streaming-upload place, then 504. */
  waitMs: number;
}

/**
 * Gets the request body ready for an upstream dispatch, before any upstream connection is taken
 * (docs/security.md, "Slow clients"): a body a policy already read is replayed; a body up to
 * `bufferBytes` (server.limits.requestBufferBytes) is read whole first, so however slowly the client
 * sends it, it holds no upstream connection meanwhile (the body timeouts of server.timeouts cut it);
 * a larger one streams, once one of server.limits.streamingUploadsPerOrigin places for its origin is
 * free: the others wait with their body unread, and get 504 after `waitMs`. The place is given back
 * when the body is in. `Expect: 100-continue` is answered when the body is about to be read.
 * `go` is not called when the client leaves first.
 */
export function prepareUpstreamBody(ctx: RequestContext, opts: BodyOptions, go: (b: UpstreamBody) => void): void {
  const req = ctx.req;
  const h = req.headers;
  const buffered = ctx.bufferedBody;
  if (buffered || !declaresBody(h)) {
    go({ body: buffered?.length ? buffered : null, replayable: true });
    return;
  }
  const length = h['content-length'] === undefined ? undefined : Number(h['content-length']);
  const limit = Math.min(opts.bufferBytes, opts.maxBodyBytes);
  if (limit > 0 && (length === undefined || length <= limit)) {
    // readBodyPrefix answers 100-continue; a longer body is pushed back to the stream's front.
    void readBodyPrefix(ctx, limit).then(() => {
      if (ctx.res.destroyed) return;
      const whole = ctx.bufferedBody;
      if (whole) go({ body: whole.length ? whole : null, replayable: true });
      else stream(ctx, opts, length, go);
    });
    // A stream paused on purpose (WAF prefix inspection pauses and unshifts) does not flow again by itself.
    req.resume();
    return;
  }
  stream(ctx, opts, length, go);
}

function stream(
  ctx: RequestContext,
  opts: BodyOptions,
  length: number | undefined,
  go: (b: UpstreamBody) => void,
): void {
  const { req, res } = ctx;
  const held = ctx.snapshot.runtime.pools.held;
  const limit = ctx.snapshot.config.server.limits.streamingUploadsPerOrigin;
  let waiting = true;
  let cancel = () => {};
  const onClose = () => cancel();
  cancel = held.acquire(
    opts.key,
    limit,
    opts.waitMs,
    (release) => {
      waiting = false;
      res.off('close', onClose);
      if (res.destroyed || req.destroyed) {
        release();
        return;
      }
      req.once('end', release);
      req.once('close', release);
      res.once('close', release);
      if (h100(ctx)) res.writeContinue();
      let body: Readable = bodyStream(req);
      if (length === undefined) {
        const bl = new BodyLimit(opts.maxBodyBytes);
        body.on('error', (err) => bl.destroy(err));
        body = body.pipe(bl);
      }
      go({ body, replayable: false });
    },
    () => {
      waiting = false;
      res.off('close', onClose);
      ctx.integrationError = new Error(`no streaming-upload place free for ${opts.key} within ${opts.waitMs} ms`);
      ctx.sendError(GATEWAY_ERRORS.INTEGRATION_TIMEOUT, ctx.api!.responses, { connection: 'close' });
    },
  );
  if (waiting) res.once('close', onClose);
}

/** The client still waits for 100 Continue (and nobody sent it yet). */
function h100(ctx: RequestContext): boolean {
  if (ctx.req.headers.expect?.toLowerCase() !== '100-continue' || ctx.res.headersSent) return false;
  delete ctx.req.headers.expect;
  return true;
}

/** Counts a chunked request body and fails it past the limit (Content-Length bodies are checked up front). */
export class BodyLimit extends Transform {
  #left: number;
  constructor(limit: number) {
    super();
    this.#left = limit;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#left -= chunk.length;
    if (this.#left < 0) cb(new BodyTooLargeError('request body exceeds server.limits.maxBodyBytes'));
    else cb(null, chunk);
  }
}
