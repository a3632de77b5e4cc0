import { EventEmitter } from 'node:events';
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

// node:http's own checks (_http_common.js): a header name is a token, a value has no control characters.
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function checkHeader(name: string, value: unknown): void {
  if (!TOKEN.test(name))
    throw Object.assign(new TypeError(`Header name must be a valid HTTP token ["${name}"]`), {
      code: 'ERR_INVALID_HTTP_TOKEN',
    });
  if (value === undefined)
    throw Object.assign(new TypeError(`Invalid value "undefined" for header "${name}"`), {
      code: 'ERR_HTTP_INVALID_HEADER_VALUE',
    });
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  for (const v of values)
    if (INVALID_VALUE.test(String(v)))
      throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), {
        code: 'ERR_INVALID_CHAR',
      });
}

let dateSecond = 0;
let dateValue = '';
/** The Date header, rendered once a second (as node:http caches it). */
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/** What a response asks of its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** Keep-Alive: timeout=N (seconds), 0 for none. */
  readonly keepAliveSeconds: number;
  /** The last byte was handed to the socket and flushed; `close` says the connection ends with it. */
  finished(res: PorticoResponse, close: boolean): void;
}

/**
 * One response of the `portico` engine (the EngineResponse contract). The head is rendered once and
 * sent with the first body bytes: `end(body)` with nothing written before is one socket write, with
 * a Content-Length; writes without a Content-Length are chunked (HTTP/1.1) or end the connection
 * (HTTP/1.0). HEAD, 1xx, 204 and 304 carry no body. Framing and Connection follow node:http.
 */
export class PorticoResponse extends EventEmitter {
  statusCode = 200;
  statusMessage: string | undefined;
  shouldKeepAlive: boolean;
  sendDate = true;
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  writableFinished = false;
  readonly #owner: ResponseOwner;
  readonly #head: boolean;
  readonly #http10: boolean;
  #headers = new Map<string, [string, number | string | readonly string[]]>();
  /** The head, rendered and not yet written. */
  #pending: string | undefined;
  #chunked = false;
  #hasBody = true;
  #last = false;
  #detached = false;

  constructor(owner: ResponseOwner, method: string, http10: boolean, keepAlive: boolean) {
    super();
    this.#owner = owner;
    this.#head = method === 'HEAD';
    this.#http10 = http10;
    this.shouldKeepAlive = keepAlive;
  }

  get writableLength(): number {
    return this.#owner.socket.writableLength;
  }
  get socket(): Socket {
    return this.#owner.socket;
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    if (this.headersSent)
      throw Object.assign(new Error('Cannot set headers after they are sent to the client'), {
        code: 'ERR_HTTP_HEADERS_SENT',
      });
    checkHeader(name, value);
    this.#headers.set(name.toLowerCase(), [name, value]);
    return this;
  }
  getHeader(name: string): number | string | readonly string[] | undefined {
    return this.#headers.get(name.toLowerCase())?.[1];
  }
  hasHeader(name: string): boolean {
    return this.#headers.has(name.toLowerCase());
  }
  removeHeader(name: string): void {
    this.#headers.delete(name.toLowerCase());
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent)
      throw Object.assign(new Error('Cannot write headers after they are sent to the client'), {
        code: 'ERR_HTTP_HEADERS_SENT',
      });
    if (!Number.isInteger(status) || status < 100 || status > 999)
      throw Object.assign(new RangeError(`Invalid status code: ${status}`), { code: 'ERR_HTTP_INVALID_STATUS_CODE' });
    this.statusCode = status;
    if (headers)
      for (const name of Object.keys(headers)) {
        const v = headers[name];
        if (v === undefined) continue;
        this.setHeader(name, v);
      }
    this.#render(undefined);
    return this;
  }

  writeContinue(): void {
    if (!this.#detached) this.#owner.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
  }

  /** Renders the head; `knownLength` is the whole body's length when end(body) comes first. */
  #render(knownLength: number | undefined): void {
    this.headersSent = true;
    const status = this.statusCode;
    this.#hasBody = !this.#head && status !== 204 && status !== 304 && !(status >= 100 && status < 200);
    let head = `HTTP/1.1 ${status} ${this.statusMessage ?? STATUS_CODES[status] ?? 'unknown'}\r\n`;
    let contLen = false;
    let te = false;
    let connection = false;
    let date = false;
    for (const [lower, [name, value]] of this.#headers) {
      if (lower === 'content-length') contLen = true;
      else if (lower === 'transfer-encoding') {
        te = true;
        if (/(?:^|,)\s*chunked\s*$/i.test(String(value))) this.#chunked = true;
      } else if (lower === 'connection') {
        connection = true;
        if (/(?:^|,)\s*close\s*(?:,|$)/i.test(String(value))) this.#last = true;
      } else if (lower === 'date') date = true;
      if (Array.isArray(value)) for (const v of value as string[]) head += `${name}: ${v}\r\n`;
      else head += `${name}: ${value as string}\r\n`;
    }
    if (this.sendDate && !date) head += `Date: ${httpDate()}\r\n`;
    if (!connection) {
      const keep = this.shouldKeepAlive && (contLen || !this.#http10);
      if (keep) {
        head += 'Connection: keep-alive\r\n';
        const ka = this.#owner.keepAliveSeconds;
        if (ka > 0) head += `Keep-Alive: timeout=${ka}\r\n`;
      } else {
        this.#last = true;
        head += 'Connection: close\r\n';
      }
    } else if (!this.shouldKeepAlive) this.#last = true;
    if (!contLen && !te) {
      if (!this.#hasBody) this.#chunked = false;
      else if (this.#http10) this.#last = true;
      else if (knownLength !== undefined) head += `Content-Length: ${knownLength}\r\n`;
      else {
        head += 'Transfer-Encoding: chunked\r\n';
        this.#chunked = true;
      }
    }
    if (!this.#hasBody) this.#chunked = false;
    this.#pending = `${head}\r\n`;
  }

  /** Head (if still pending) and body bytes as one buffer, framed; `last` adds the chunked terminator. */
  #frame(chunk: Buffer | string | undefined, last: boolean): Buffer | string {
    const head = this.#pending ?? '';
    this.#pending = undefined;
    const body = this.#hasBody && chunk !== undefined && chunk.length > 0 ? chunk : undefined;
    if (!this.#chunked) {
      if (body === undefined) return head;
      if (typeof body === 'string' && head === '') return body;
      const bodyLen = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      const hl = head.length;
      const out = Buffer.allocUnsafe(hl + bodyLen);
      out.write(head, 0, 'latin1');
      if (typeof body === 'string') out.write(body, hl, 'utf8');
      else body.copy(out, hl);
      return out;
    }
    const bodyLen = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    let pre = head;
    if (bodyLen > 0) pre += `${bodyLen.toString(16)}\r\n`;
    const post = `${bodyLen > 0 ? '\r\n' : ''}${last ? '0\r\n\r\n' : ''}`;
    const out = Buffer.allocUnsafe(pre.length + bodyLen + post.length);
    out.write(pre, 0, 'latin1');
    if (body !== undefined) {
      if (typeof body === 'string') out.write(body, pre.length, 'utf8');
      else body.copy(out, pre.length);
    }
    out.write(post, pre.length + bodyLen, 'latin1');
    return out;
  }

  write(chunk: Buffer | string): boolean {
    if (this.writableEnded) {
      const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
      process.nextTick(() => this.listenerCount('error') > 0 && this.emit('error', err));
      return false;
    }
    if (this.#detached) return false;
    if (!this.headersSent) this.#render(undefined);
    const data = this.#frame(chunk, false);
    if (data.length === 0) return true;
    return this.#owner.socket.write(data);
  }

  end(body?: Buffer | string): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    if (this.#detached) return this;
    if (!this.headersSent)
      this.#render(body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    const data = this.#frame(body, true);
    const socket = this.#owner.socket;
    const done = () => {
      if (this.writableFinished) return;
      this.writableFinished = true;
      this.emit('finish');
      this.#owner.finished(this, this.#last || !this.shouldKeepAlive);
    };
    if (socket.destroyed) return this;
    if (data.length > 0) socket.write(data, (err) => (err ? undefined : done()));
    else if (socket.writableLength === 0) process.nextTick(done);
    else socket.write('', () => done());
    return this;
  }

  /** The connection answers by itself now (a parse error, a timeout): nothing more from this response. */
  detach(): void {
    this.#detached = true;
  }
  get detached(): boolean {
    return this.#detached;
  }

  /** 'close' once: after 'finish', or when the connection closed first. */
  close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }

  destroy(_err?: Error): this {
    if (this.destroyed) return this;
    this.#owner.socket.destroy();
    this.close();
    return this;
  }
}
