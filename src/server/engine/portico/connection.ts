import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ERROR, ERROR_NAME, RequestParser, type ParserHandler } from './llhttp.js';
import { PorticoRequest, type RequestOwner } from './request.js';
import { PorticoResponse, type ResponseOwner } from './response.js';
import type { Timed, TimerWheel } from './timer-wheel.js';

/** What a connection needs of its listener. */
export interface ConnectionOptions {
  /** The listener's events: request, checkContinue, checkExpectation, upgrade, connect, clientError. */
  server: EventEmitter;
  wheel: TimerWheel;
  maxHeaderSize: number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  /** Removes the connection from the listener's set when it closes. */
  closed(c: Connection): void;
}

/** Bytes read while a request is being answered (pipelined requests) beyond which reading stops. */
const QUEUE_LIMIT = 64 * 1024;
const USER_ERROR = ERROR.USER ?? 24;
/** Framing between two body spans: CRLF after the data, up to 16 hex digits, CRLF (and the head's CRLFCRLF). */
const FRAMING_BYTES = 24;
/** Chunk-extension bytes allowed per request: node:http's limit (16 KiB). */
const MAX_CHUNK_EXTENSIONS = 16 * 1024;

type Phase = 'idle' | 'head' | 'body' | 'answer' | 'dead';

/**
 * One client connection of the `portico` engine. Requests are parsed one at a time: llhttp is paused
 * at the end of each message and resumed when its response has been written, so pipelined requests
 * are answered in order and a pipelined request is never parsed ahead of the one being answered.
 * The deadlines (headers, request, keep-alive) live on the listener's one timer wheel.
 */
export class Connection implements ParserHandler, RequestOwner, ResponseOwner, Timed {
  readonly socket: Socket;
  readonly keepAliveSeconds: number;
  deadline = 0;
  readonly #o: ConnectionOptions;
  readonly #parser: RequestParser;
  #phase: Phase = 'idle';
  #url = '';
  #raw: string[] = [];
  #inValue = false;
  #headerBytes = 0;
  #overflow = false;
  /** Where the last parser span ended in the current chunk, bytes since then, and chunk-extension bytes so far. */
  #mark = 0;
  #gap = 0;
  #extBytes = 0;
  #startedAt: number;
  #req: PorticoRequest | undefined;
  #res: PorticoResponse | undefined;
  /** The request parsed in this read, handed to the listener once the parser returns. */
  #fresh: PorticoRequest | undefined;
  #queue: Buffer[] = [];
  #queued = 0;
  #llPaused = false;
  #upgrade = false;
  #executing = false;

  constructor(socket: Socket, o: ConnectionOptions) {
    this.socket = socket;
    this.#o = o;
    this.keepAliveSeconds = Math.floor(o.keepAliveTimeout / 1000);
    this.#parser = new RequestParser(this);
    this.#startedAt = o.wheel.now();
    this.#setPhase('head');
    o.wheel.add(this);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
  }

  get idle(): boolean {
    return this.#phase === 'idle' && this.#queued === 0;
  }

  // ---- the socket ----

  #onData = (chunk: Buffer): void => {
    if (this.#phase === 'dead') return;
    if (this.#llPaused || this.#executing) {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued > QUEUE_LIMIT) this.socket.pause();
      return;
    }
    this.#exec(chunk);
  };

  #onEnd = (): void => {
    // node:http (httpAllowHalfOpen false): the client's FIN aborts what is unanswered and ends the connection.
    if (this.#phase === 'dead') return;
    const code = this.#llPaused ? ERROR.OK : this.#parser.finish();
    if (code !== ERROR.OK && this.#phase === 'body') return this.#fail(this.#error(code));
    this.#req?.close(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    this.#phase = 'dead';
    if (this.socket.writable) this.socket.end();
  };

  #onError = (): void => {
    this.socket.destroy();
  };

  #onClose = (): void => {
    this.#phase = 'dead';
    this.#o.wheel.delete(this);
    this.#req?.close(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    this.#res?.close();
    this.#fresh = undefined;
    this.#parser.free();
    this.#o.closed(this);
  };

  #onDrain = (): void => {
    this.#res?.emit('drain');
  };

  #exec(chunk: Buffer): void {
    this.#executing = true;
    this.#mark = 0;
    let r;
    try {
      r = this.#parser.execute(chunk);
    } finally {
      this.#executing = false;
    }
    // Bytes after the last span of this chunk (framing, chunk extensions) count towards the next gap.
    this.#gap += (r.code === ERROR.OK ? chunk.length : r.offset) - this.#mark;
    if (r.code === ERROR.PAUSED) {
      this.#llPaused = true;
      this.#requeue(chunk, r.offset);
    } else if (r.code === ERROR.PAUSED_UPGRADE) {
      const head = chunk.subarray(r.offset);
      const req = this.#fresh ?? this.#req;
      this.#fresh = undefined;
      if (req) return this.#handUpgrade(req, Buffer.concat([head, ...this.#queue]));
    } else if (r.code !== ERROR.OK) {
      this.#fresh = undefined;
      return this.#fail(this.#error(r.code));
    }
    const fresh = this.#fresh;
    if (fresh) {
      this.#fresh = undefined;
      this.#dispatch(fresh);
    }
    if (this.#req && !this.#req.wants && this.#phase === 'body') this.socket.pause();
  }

  #requeue(chunk: Buffer, offset: number): void {
    if (offset < chunk.length) {
      const rest = chunk.subarray(offset);
      this.#queue.unshift(rest);
      this.#queued += rest.length;
    }
  }

  /** Parses what was read while the parser was paused, until it pauses again. */
  #drain(): void {
    while (this.#queue.length && !this.#llPaused && this.#phase !== 'dead') {
      const c = this.#queue.shift()!;
      this.#queued -= c.length;
      this.#exec(c);
    }
    if (
      this.#queued <= QUEUE_LIMIT &&
      this.#phase !== 'dead' &&
      !(this.#req && !this.#req.wants && this.#phase === 'body')
    )
      this.socket.resume();
  }

  #error(code: number): NodeJS.ErrnoException {
    if (this.#overflow) return Object.assign(new Error('Header overflow'), { code: 'HPE_HEADER_OVERFLOW' });
    if (this.#extBytes > MAX_CHUNK_EXTENSIONS)
      return Object.assign(new Error('Chunk extensions overflow'), { code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW' });
    const name = ERROR_NAME[code] ?? 'HPE_INTERNAL';
    return Object.assign(new Error(`Parse Error: ${this.#parser.reason()}`), {
      code: name,
      reason: this.#parser.reason(),
    });
  }

  /** A malformed request or a timeout: the listener's clientError answers (4xx and close), as node:http does. */
  #fail(err: NodeJS.ErrnoException): void {
    if (this.#phase === 'dead') return;
    this.#phase = 'dead';
    this.deadline = 0;
    const res = this.#res;
    if (res && res.headersSent) {
      this.socket.destroy();
      return;
    }
    res?.detach();
    this.#req?.close(err);
    if (this.#o.server.listenerCount('clientError') > 0) this.#o.server.emit('clientError', err, this.socket);
    else this.socket.destroy();
  }

  // ---- deadlines (the timer wheel) ----

  #setPhase(p: Phase): void {
    this.#phase = p;
    const o = this.#o;
    const now = o.wheel.now();
    if (p === 'head') {
      const h = o.headersTimeout > 0 ? this.#startedAt + o.headersTimeout : 0;
      const r = o.requestTimeout > 0 ? this.#startedAt + o.requestTimeout : 0;
      this.deadline = h && r ? Math.min(h, r) : h || r;
    } else if (p === 'body') this.deadline = o.requestTimeout > 0 ? this.#startedAt + o.requestTimeout : 0;
    else if (p === 'idle') this.deadline = o.keepAliveTimeout > 0 ? now + o.keepAliveTimeout : 0;
    else this.deadline = 0;
  }

  onDeadline(): void {
    if (this.#phase === 'idle') {
      this.socket.destroy();
      return;
    }
    if (this.#phase === 'head' || this.#phase === 'body')
      this.#fail(Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
  }

  // ---- the parser's callbacks ----

  onMessageBegin(): number {
    this.#startedAt = this.#o.wheel.now();
    this.#setPhase('head');
    this.#url = '';
    this.#raw = [];
    this.#inValue = false;
    this.#headerBytes = 0;
    this.#upgrade = false;
    return 0;
  }

  /** A span of the head ends at `at + len` of the current chunk: what lies between spans is the next gap. */
  #span(at: number, len: number): void {
    this.#mark = at + len;
    this.#gap = 0;
  }

  #track(len: number): number {
    this.#headerBytes += len;
    if (this.#headerBytes >= this.#o.maxHeaderSize) {
      this.#overflow = true;
      return USER_ERROR;
    }
    return 0;
  }

  onUrl(buf: Buffer, at: number, len: number): number {
    this.#span(at, len);
    this.#url += buf.toString('latin1', at, at + len);
    return this.#track(len);
  }

  onHeaderField(buf: Buffer, at: number, len: number): number {
    this.#span(at, len);
    const s = buf.toString('latin1', at, at + len);
    if (this.#inValue || this.#raw.length === 0) {
      this.#raw.push(s, '');
      this.#inValue = false;
    } else this.#raw[this.#raw.length - 2] += s;
    return this.#track(len);
  }

  onHeaderValue(buf: Buffer, at: number, len: number): number {
    this.#span(at, len);
    this.#inValue = true;
    this.#raw[this.#raw.length - 1] += buf.toString('latin1', at, at + len);
    return this.#track(len);
  }

  onHeadersComplete(upgrade: boolean, keepAlive: boolean): number {
    const p = this.#parser;
    const major = p.versionMajor;
    const minor = p.versionMinor;
    this.#extBytes = 0;
    // Trailing whitespace of a field value is not part of it (RFC 9110 5.5); node:http trims it too.
    const raw = this.#raw;
    for (let i = 1; i < raw.length; i += 2) {
      const v = raw[i] as string;
      const last = v.charCodeAt(v.length - 1);
      if (last === 32 || last === 9) raw[i] = v.replace(/[ \t]+$/, '');
    }
    const req = new PorticoRequest(this, this.socket, p.method, this.#url, major, minor, raw);
    const http10 = major < 1 || (major === 1 && minor < 1);
    this.#res = new PorticoResponse(this, req.method, http10, keepAlive);
    this.#req = req;
    this.#fresh = req;
    this.#setPhase('body');
    if (upgrade) {
      this.#upgrade = true;
      req.upgrade = true;
      return 2;
    }
    return 0;
  }

  onBody(buf: Buffer, at: number, len: number): number {
    // Bytes between two body spans are chunk framing: CRLF, the size line, CRLF. Beyond FRAMING_BYTES
    // they are chunk extensions, capped per request as node:http caps them (16 KiB, CVE-2024-22019).
    const gap = this.#gap + at - this.#mark;
    if (gap > FRAMING_BYTES) this.#extBytes += gap - FRAMING_BYTES;
    this.#mark = at + len;
    this.#gap = 0;
    if (this.#extBytes > MAX_CHUNK_EXTENSIONS) return USER_ERROR;
    this.#req?.push(buf.subarray(at, at + len));
    return 0;
  }

  onMessageComplete(): number {
    const req = this.#req!;
    req.finish();
    if (this.#upgrade) return 0;
    this.#setPhase('answer');
    return ERROR.PAUSED;
  }

  // ---- the listener's side ----

  #dispatch(req: PorticoRequest): void {
    const res = this.#res!;
    const server = this.#o.server;
    try {
      const expect = req.headers.expect;
      if (expect !== undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
        if (/^100-continue$/i.test(expect)) {
          if (server.listenerCount('checkContinue') > 0) server.emit('checkContinue', req, res);
          else {
            res.writeContinue();
            server.emit('request', req, res);
          }
        } else if (server.listenerCount('checkExpectation') > 0) server.emit('checkExpectation', req, res);
        else {
          res.writeHead(417, { connection: 'close', 'content-length': 0 });
          res.end();
        }
        return;
      }
      server.emit('request', req, res);
    } catch (err) {
      // A listener that throws: 500 and close, never an exception out of the socket's 'data' handler.
      if (!res.headersSent && !res.detached) {
        res.writeHead(500, { connection: 'close', 'content-length': 0 });
        res.end();
      } else this.socket.destroy(err as Error);
    }
  }

  #handUpgrade(req: PorticoRequest, head: Buffer): void {
    this.#phase = 'dead';
    this.#o.wheel.delete(this);
    const s = this.socket;
    s.off('data', this.#onData);
    s.off('end', this.#onEnd);
    s.off('error', this.#onError);
    s.off('drain', this.#onDrain);
    s.off('close', this.#onClose);
    this.#parser.free();
    this.#o.closed(this);
    this.#req = undefined;
    this.#res = undefined;
    const server = this.#o.server;
    const event = req.method === 'CONNECT' ? 'connect' : 'upgrade';
    if (server.listenerCount(event) > 0) server.emit(event, req, s, head);
    else s.destroy();
  }

  wantBody(): void {
    if (this.#phase === 'body' && this.#req?.wants) this.socket.resume();
  }

  abort(): void {
    this.socket.destroy();
  }

  finished(res: PorticoResponse, close: boolean): void {
    if (res !== this.#res) return;
    const req = this.#req!;
    if (close || this.#phase === 'dead') {
      this.#phase = 'dead';
      res.close();
      req.close();
      // As node:http's destroySoon: the answer is flushed, then the socket is destroyed without
      // waiting for the client to stop sending (an unread body would otherwise hold it open).
      const s = this.socket;
      s.end(() => s.destroy());
      return;
    }
    this.#res = undefined;
    res.close();
    if (!req.complete) {
      // The body was not read (an early answer): it is read and dropped, then the next request is parsed.
      req.removeAllListeners('data');
      req.on('data', noop);
      req.once('end', () => this.#next(req));
      req.resume();
      this.socket.resume();
      return;
    }
    this.#next(req);
  }

  #next(req: PorticoRequest): void {
    req.close();
    if (this.#req === req) this.#req = undefined;
    if (this.#phase === 'dead') return;
    this.#setPhase('idle');
    this.#llPaused = false;
    this.#parser.resume();
    this.#drain();
  }

  /** Closes the connection if it is between requests (server.close(), closeIdleConnections). */
  closeIfIdle(): void {
    if (this.idle) this.socket.destroy();
  }
}

function noop(): void {}
