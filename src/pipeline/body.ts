/**
 * Reading a request body in full, for the few things that need it whole (functions, body validation,
 * body inspection). Bodies stream by default; buffering is bounded by server.limits.maxBodyBytes. The
 * bytes are kept on the context (`ctx.bufferedBody`) so whoever reads next — another policy, or the
 * http_proxy integration replaying it upstream — gets the same bytes without touching the socket again.
 */
import { declaresBody } from '../server/request-checks.js';
import type { RequestContext } from './context.js';

import { BodyReadError, BodyTooLargeError } from '../kernel/errors.js';

export { BodyReadError, BodyTooLargeError };

const reading = new WeakMap<RequestContext, Promise<Buffer>>();

/** Reads the whole body once (later calls get the same Buffer), failing past `maxBytes`. */
export function bufferBody(ctx: RequestContext, maxBytes: number): Promise<Buffer> {
  if (ctx.bufferedBody) return Promise.resolve(ctx.bufferedBody);
  const pending = reading.get(ctx);
  if (pending) return pending;
  const req = ctx.req;
  const h = req.headers;
  if (!declaresBody(h) || req.readableEnded) {
    ctx.bufferedBody = Buffer.alloc(0);
    return Promise.resolve(ctx.bufferedBody);
  }
  // The client waits for 100 Continue before its body (see checkContinue in gateway.ts).
  if (h.expect?.toLowerCase() === '100-continue' && !ctx.res.headersSent) ctx.res.writeContinue();
  const p = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(new BodyTooLargeError('request body exceeds server.limits.maxBodyBytes'));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      ctx.bufferedBody = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      resolve(ctx.bufferedBody);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new BodyReadError(err.message));
    };
    const onClose = () => {
      if (req.complete) return;
      cleanup();
      reject(new BodyReadError('the client closed the connection before the body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    // A stream paused on purpose (WAF prefix inspection pauses and unshifts) does not flow again by itself.
    req.resume();
  });
  reading.set(ctx, p);
  return p;
}
