import { Readable } from 'node:stream';
import type { EngineRequest } from './types.js';

/**
 * The request body as a Node Readable, for the one place that needs a stream: a large upload
 * streamed to undici (forward/request-body.ts). node:http's request already is one and is returned
 * as it is; an engine whose request is only a chunk source (no streams on its hot path) is wrapped
 * here, with backpressure: the source is paused while the Readable's buffer is full.
 */
export function bodyStream(req: EngineRequest): Readable {
  if (req instanceof Readable) return req;
  const out = new Readable({
    read: () => void req.resume(),
    destroy: (err, cb) => {
      if (err && !req.complete) req.destroy(err);
      cb(err);
    },
  });
  req.on('data', (chunk) => {
    if (!out.push(chunk)) req.pause();
  });
  req.once('end', () => out.push(null));
  req.once('error', (err) => out.destroy(err));
  req.once('close', () => {
    if (!req.complete) out.destroy(new Error('the client closed the connection before the body was complete'));
  });
  return out;
}
