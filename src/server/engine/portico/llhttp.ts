import { createRequire } from 'node:module';

/**
 * llhttp, the parser node:http itself uses, in the wasm build undici ships (undici/lib/llhttp), run
 * in request mode and strict: no lenient flag is ever set, so it accepts exactly what node:http's
 * default parser accepts (no --insecure-http-parser; docs/reliability.md). One wasm instance serves
 * every connection: a parse is synchronous, and the callbacks find their parser through `current`.
 */

const require = createRequire(import.meta.url);
const constants = require('undici/lib/llhttp/constants.js') as {
  ERROR: Record<string, number>;
  TYPE: { REQUEST: number };
  METHODS: Record<string, number>;
};

export const ERROR = constants.ERROR as {
  OK: number;
  PAUSED: number;
  PAUSED_UPGRADE: number;
  HEADER_OVERFLOW?: number;
} & Record<string, number>;
/** The name node:http gives a parse error (`HPE_INVALID_CHUNK_SIZE`, ...). */
export const ERROR_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(constants.ERROR).map(([k, v]) => [v, `HPE_${k}`]),
);
const METHOD_NAME: string[] = [];
for (const [name, n] of Object.entries(constants.METHODS)) METHOD_NAME[n] = name;

/** What a connection does with the parser's callbacks; a non-zero return is an llhttp error code. */
export interface ParserHandler {
  onMessageBegin(): number;
  onUrl(buf: Buffer, at: number, len: number): number;
  onHeaderField(buf: Buffer, at: number, len: number): number;
  onHeaderValue(buf: Buffer, at: number, len: number): number;
  /** 0: go on; 1: no body; 2: upgrade (llhttp's on_headers_complete contract). */
  onHeadersComplete(upgrade: boolean, keepAlive: boolean): number;
  onBody(buf: Buffer, at: number, len: number): number;
  onMessageComplete(): number;
}

interface LlhttpExports {
  memory: { buffer: ArrayBuffer };
  malloc(n: number): number;
  free(p: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(p: number): void;
  llhttp_execute(p: number, data: number, len: number): number;
  llhttp_finish(p: number): number;
  llhttp_resume(p: number): void;
  llhttp_get_error_pos(p: number): number;
  llhttp_get_error_reason(p: number): number;
  llhttp_get_method(p: number): number;
  llhttp_get_http_major(p: number): number;
  llhttp_get_http_minor(p: number): number;
}

/** The little of the WebAssembly API used here (the project's lib settings carry no DOM types). */
interface Wasm {
  Module: new (bytes: Buffer) => object;
  Instance: new (m: object, imports: object) => { exports: unknown };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

let current: { ptr: number; handler: ParserHandler } | null = null;
let currentChunk: Buffer = Buffer.alloc(0);
let currentPtr = 0;

function instantiate(): LlhttpExports {
  let mod: object | undefined;
  try {
    mod = new WebAssembly.Module(require('undici/lib/llhttp/llhttp_simd-wasm.js') as Buffer);
  } catch {
    mod = new WebAssembly.Module(require('undici/lib/llhttp/llhttp-wasm.js') as Buffer);
  }
  const span =
    (fn: (h: ParserHandler, buf: Buffer, at: number, len: number) => number) => (_p: number, at: number, len: number) =>
      fn(current!.handler, currentChunk, at - currentPtr, len);
  const instance = new WebAssembly.Instance(mod, {
    env: {
      wasm_on_message_begin: () => current!.handler.onMessageBegin(),
      wasm_on_status: () => 0,
      wasm_on_url: span((h, b, a, l) => h.onUrl(b, a, l)),
      wasm_on_header_field: span((h, b, a, l) => h.onHeaderField(b, a, l)),
      wasm_on_header_value: span((h, b, a, l) => h.onHeaderValue(b, a, l)),
      wasm_on_headers_complete: (_p: number, _status: number, upgrade: number, keepAlive: number) =>
        current!.handler.onHeadersComplete(upgrade === 1, keepAlive === 1),
      wasm_on_body: span((h, b, a, l) => h.onBody(b, a, l)),
      wasm_on_message_complete: () => current!.handler.onMessageComplete(),
    },
  });
  return instance.exports as unknown as LlhttpExports;
}

let wasm: LlhttpExports | undefined;
/** The input buffer in wasm memory, grown in 4 KiB steps and shared by every parser. */
let bufPtr = 0;
let bufSize = 0;

/** The outcome of one execute: the code and, when it stopped early, the offset in the chunk where. */
export interface ExecResult {
  code: number;
  offset: number;
}

export class RequestParser {
  readonly #ptr: number;
  readonly #handler: ParserHandler;
  readonly #w: LlhttpExports;

  constructor(handler: ParserHandler) {
    this.#w = wasm ??= instantiate();
    this.#ptr = this.#w.llhttp_alloc(constants.TYPE.REQUEST);
    this.#handler = handler;
  }

  execute(chunk: Buffer): ExecResult {
    const w = this.#w;
    if (chunk.length > bufSize) {
      if (bufPtr) w.free(bufPtr);
      bufSize = Math.ceil(chunk.length / 4096) * 4096;
      bufPtr = w.malloc(bufSize);
    }
    new Uint8Array(w.memory.buffer, bufPtr, chunk.length).set(chunk);
    const prev = current;
    current = { ptr: this.#ptr, handler: this.#handler };
    currentChunk = chunk;
    currentPtr = bufPtr;
    let code: number;
    try {
      code = w.llhttp_execute(this.#ptr, bufPtr, chunk.length);
    } finally {
      current = prev;
    }
    return { code, offset: code === ERROR.OK ? chunk.length : w.llhttp_get_error_pos(this.#ptr) - bufPtr };
  }

  /** The end of input (the client's FIN): an error code if a message was cut short. */
  finish(): number {
    current = { ptr: this.#ptr, handler: this.#handler };
    try {
      return this.#w.llhttp_finish(this.#ptr);
    } finally {
      current = null;
    }
  }

  resume(): void {
    this.#w.llhttp_resume(this.#ptr);
  }

  get method(): string {
    return METHOD_NAME[this.#w.llhttp_get_method(this.#ptr)] ?? 'GET';
  }
  get versionMajor(): number {
    return this.#w.llhttp_get_http_major(this.#ptr);
  }
  get versionMinor(): number {
    return this.#w.llhttp_get_http_minor(this.#ptr);
  }

  reason(): string {
    const p = this.#w.llhttp_get_error_reason(this.#ptr);
    if (!p) return '';
    const mem = new Uint8Array(this.#w.memory.buffer);
    const end = mem.indexOf(0, p);
    return Buffer.from(mem.subarray(p, end)).toString('latin1');
  }

  free(): void {
    this.#w.llhttp_free(this.#ptr);
  }
}
