import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * The engine interface (issue 18): what the request path (src/server/handler.ts, src/pipeline/,
 * src/forward/ and the features) asks of a request, its response and its connection. These are the
 * SUBSET of node:http's IncomingMessage, ServerResponse and net.Socket that the pipeline uses, so
 * the `node` engine (node:http) satisfies them structurally, unchanged; another engine (the planned
 * `portico` engine on node:net / node:tls sockets with llhttp's wasm parser) implements exactly
 * these members and nothing more. A member the pipeline starts to use must be added here first,
 * which is what makes an engine's obligations visible (the compiler lists every use).
 */

/** The client connection, as the pipeline sees it (peer address, byte counts, closing). */
export interface EngineSocket {
  readonly remoteAddress?: string | undefined;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly writableLength: number;
  readonly destroyed: boolean;
  readonly writable: boolean;
  destroy(err?: Error): unknown;
}

/** One request: its parsed head, and its body as a source of chunks ('data', 'end', 'error', 'close'). */
export interface EngineRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  /** Header names lower-cased, joined as node:http joins them (an engine may build this lazily). */
  readonly headers: IncomingHttpHeaders;
  /** The compact header list as received: name, value, name, value, ... */
  readonly rawHeaders: string[];
  readonly socket: EngineSocket;
  /** The whole body was received. */
  readonly complete: boolean;
  readonly destroyed: boolean;
  readonly readableEnded: boolean;
  readonly readableFlowing: boolean | null;
  on(event: 'data', l: (chunk: Buffer) => void): this;
  on(event: 'error', l: (err: Error) => void): this;
  on(event: 'end' | 'close', l: () => void): this;
  once(event: 'data', l: (chunk: Buffer) => void): this;
  once(event: 'error', l: (err: Error) => void): this;
  once(event: 'end' | 'close', l: () => void): this;
  off(event: 'data', l: (chunk: Buffer) => void): this;
  off(event: 'error', l: (err: Error) => void): this;
  off(event: 'end' | 'close', l: () => void): this;
  pause(): this;
  resume(): this;
  /** Puts bytes read ahead back in front of the body (the WAF's prefix inspection). */
  unshift(chunk: Buffer): void;
  destroy(err?: Error): this;
}

/** One response: head, body, and the events the pipeline waits for ('close', 'drain', 'finish'). */
export interface EngineResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly writableLength: number;
  shouldKeepAlive: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): this;
  setHeader(name: string, value: number | string | readonly string[]): this;
  removeHeader(name: string): void;
  /** `100 Continue` for a request that asked for it. */
  writeContinue(): void;
  /** False: buffered beyond the high-water mark, wait for 'drain'. */
  write(chunk: Buffer | string): boolean;
  end(body?: Buffer | string): this;
  destroy(err?: Error): this;
  on(event: 'close' | 'drain' | 'finish', l: () => void): this;
  on(event: 'error', l: (err: Error) => void): this;
  once(event: 'close' | 'drain' | 'finish', l: () => void): this;
  once(event: 'error', l: (err: Error) => void): this;
  off(event: 'close' | 'drain' | 'finish', l: () => void): this;
}
