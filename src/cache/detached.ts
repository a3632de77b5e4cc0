import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';

/**
 * A response with no client behind it, for the background refresh of a stale-while-revalidate
 * entry: the integration writes to it as to a ServerResponse, the cache's response observer
 * captures the bytes, and the bytes go nowhere else. It never applies backpressure.
 */
export class DetachedResponse extends EventEmitter {
  statusCode = 0;
  headersSent = false;
  writableEnded = false;
  destroyed = false;

  writeHead(status: number, _headers?: OutgoingHttpHeaders): this {
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }
  writeContinue(): void {}
  setHeader(): this {
    return this;
  }
  write(_chunk: unknown): boolean {
    return true;
  }
  end(_chunk?: unknown): this {
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = true;
    this.headersSent = true;
    this.emit('finish');
    this.emit('close');
    return this;
  }
  destroy(_err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.emit('close');
    return this;
  }
}
