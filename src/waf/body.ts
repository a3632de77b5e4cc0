/**
 * Reads the first `limit` bytes of a request body for inspection and gives them back, so the
 * integration still sends the whole body upstream, streaming:
 *
 * - the body ended within the limit: the bytes become `ctx.bufferedBody`, which integrations send
 *   instead of reading the socket (pipeline/body.ts, the same mechanism body validation uses);
 * - it is longer: the stream is paused and the bytes are pushed back to its front with
 *   `Readable.unshift`, so whoever reads `ctx.req` next gets the whole body from the first byte.
 *
 * At most one chunk past the limit is held in memory.
 */
import type { RequestContext } from '../pipeline/context.js';

export interface BodyPrefix {
  /** The bytes read (may run past the limit by the rest of the last chunk). */
  prefix: Buffer;
  /** The body is longer than the limit. */
  oversize: boolean;
  /** Total size when known (Content-Length, or the body ended), else -1. */
  size: number;
}

export function readBodyPrefix(ctx: RequestContext, limit: number): Promise<BodyPrefix> {
  const req = ctx.req;
  const cl = req.headers['content-length'];
  const declared = cl === undefined ? -1 : Number(cl);
  // The client waits for 100 Continue before sending the body (checkContinue in gateway.ts). The
  // expectation is then met: drop it so the integration does not send a second 100.
  if (req.headers.expect?.toLowerCase() === '100-continue' && !ctx.res.headersSent) {
    ctx.res.writeContinue();
    delete req.headers.expect;
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (ended: boolean) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onStop);
      req.off('close', onStop);
      const prefix = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      if (ended) {
        (ctx as { bufferedBody?: Buffer }).bufferedBody = prefix;
      } else if (!req.destroyed) {
        req.pause();
        if (prefix.length) req.unshift(prefix);
      }
      const total = ended ? size : declared;
      resolve({ prefix, oversize: total > limit || (total === -1 && size > limit), size: total });
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size > limit) finish(false);
    };
    const onEnd = () => finish(true);
    // The client went away or the stream failed: inspect what arrived; the request is over anyway.
    const onStop = () => finish(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onStop);
    req.on('close', onStop);
  });
}
