import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** Headers node:http keeps the first of (IncomingMessage's matchKnownFields); the rest are joined. */
const FIRST_ONLY = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'host',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
]);

/** `headers` as node:http builds it from the raw list: lower-cased names, duplicates joined its way. */
export function joinHeaders(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const prev = out[name];
    if (prev === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (prev as string[]).push(value);
    else if (FIRST_ONLY.has(name)) continue;
    else out[name] = `${prev as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out as IncomingHttpHeaders;
}

/** What the request asks of its connection: read more (the body source was resumed) or stop it. */
export interface RequestOwner {
  wantBody(): void;
  abort(err?: Error): void;
}

/**
 * One request of the `portico` engine (the EngineRequest contract, src/server/engine/types.ts): the
 * parsed head, and the body as a chunk source. Chunks arrive from the parser; while nobody reads
 * (no 'data' listener, or paused) they are kept and the connection stops reading the socket, so
 * a slow reader holds at most one socket read. 'data' and 'end' are emitted as node:http does:
 * attaching 'data' resumes, buffered chunks are delivered on the next tick.
 */
export class PorticoRequest extends EventEmitter {
  method: string;
  url: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly httpVersion: string;
  readonly rawHeaders: string[];
  readonly socket: Socket;
  complete = false;
  destroyed = false;
  readableEnded = false;
  readableFlowing: boolean | null = null;
  aborted = false;
  upgrade = false;
  #headers: IncomingHttpHeaders | undefined;
  #queue: Buffer[] = [];
  #flushing = false;
  readonly #owner: RequestOwner;

  constructor(
    owner: RequestOwner,
    socket: Socket,
    method: string,
    url: string,
    major: number,
    minor: number,
    raw: string[],
  ) {
    super();
    this.#owner = owner;
    this.socket = socket;
    this.method = method;
    this.url = url;
    this.httpVersionMajor = major;
    this.httpVersionMinor = minor;
    this.httpVersion = `${major}.${minor}`;
    this.rawHeaders = raw;
  }

  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= joinHeaders(this.rawHeaders));
  }
  set headers(h: IncomingHttpHeaders) {
    this.#headers = h;
  }

  /** The connection's side: one body chunk (a view into the socket's read; copied if kept). */
  push(chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.readableFlowing === true && this.#queue.length === 0 && !this.#flushing) this.emit('data', chunk);
    else this.#queue.push(Buffer.from(chunk));
  }

  /** The connection's side: the body is complete. */
  finish(): void {
    this.complete = true;
    if (this.readableFlowing === true) this.#schedule();
  }

  /** Whether the body source takes more now (else the connection stops reading the socket). */
  get wants(): boolean {
    return this.readableFlowing !== false && this.#queue.length === 0;
  }

  override on(event: string | symbol, l: (...args: never[]) => void): this {
    super.on(event, l as (...a: unknown[]) => void);
    if (event === 'data' && this.readableFlowing !== false) this.resume();
    return this;
  }
  override once(event: string | symbol, l: (...args: never[]) => void): this {
    super.once(event, l as (...a: unknown[]) => void);
    if (event === 'data' && this.readableFlowing !== false) this.resume();
    return this;
  }

  pause(): this {
    this.readableFlowing = false;
    return this;
  }

  resume(): this {
    if (this.readableFlowing === true) return this;
    this.readableFlowing = true;
    this.#schedule();
    this.#owner.wantBody();
    return this;
  }

  unshift(chunk: Buffer): void {
    this.#queue.unshift(chunk);
  }

  #schedule(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    process.nextTick(() => {
      this.#flushing = false;
      while (this.readableFlowing === true && this.#queue.length && !this.destroyed)
        this.emit('data', this.#queue.shift()!);
      if (this.#queue.length === 0 && this.readableFlowing === true) {
        if (this.complete && !this.readableEnded && !this.destroyed) {
          this.readableEnded = true;
          this.emit('end');
        } else this.#owner.wantBody();
      }
    });
  }

  /** The connection closed, or the response finished: 'close' once ('error' first when the body was cut). */
  close(err?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (!this.complete) {
      this.aborted = true;
      this.emit('aborted');
      if (err && this.listenerCount('error') > 0) this.emit('error', err);
    }
    this.emit('close');
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    const cut = !this.complete;
    this.close(err);
    if (cut) this.#owner.abort(err);
    return this;
  }
}
