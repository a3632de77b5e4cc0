import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * Hand-written HTTP/2 frames (RFC 9113 §4) for tests that must send what a well-behaved client
 * library never would: rapid resets, CONTINUATION floods, malformed requests. HPACK is written as
 * literals without indexing (RFC 7541 §6.2.2), which every decoder must take.
 */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
};
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 };
export const ERR = { NO_ERROR: 0, PROTOCOL_ERROR: 1, REFUSED_STREAM: 7, CANCEL: 8, ENHANCE_YOUR_CALM: 11 };

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

function hpackInt(value: number, prefixBits: number, first = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function hpackString(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([hpackInt(b.length, 7), b]);
}

/** A header block of literals without indexing, in the order given (pseudo-headers first). */
export function hpack(headers: [string, string][]): Buffer {
  return Buffer.concat(headers.flatMap(([n, v]) => [Buffer.from([0]), hpackString(n), hpackString(v)]));
}

export function settings(values: [id: number, value: number][] = []): Buffer {
  const p = Buffer.alloc(6 * values.length);
  values.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v, i * 6 + 2);
  });
  return frame(FRAME.SETTINGS, 0, 0, p);
}

export function headersFrame(
  stream: number,
  headers: [string, string][],
  flags = FLAG.END_HEADERS | FLAG.END_STREAM,
): Buffer {
  return frame(FRAME.HEADERS, flags, stream, hpack(headers));
}

export function rstStream(stream: number, code: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, stream, p);
}

export function get(path: string, authority = 'localhost', extra: [string, string][] = []): [string, string][] {
  return [[':method', 'GET'], [':scheme', 'https'], [':authority', authority], [':path', path], ...extra];
}

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** A raw HTTP/2 connection: sends bytes, collects the server's frames, ACKs its SETTINGS. */
export class RawH2 {
  readonly frames: Frame[] = [];
  closed = false;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      while (this.#buf.length >= 9) {
        const len = this.#buf.readUIntBE(0, 3);
        if (this.#buf.length < 9 + len) break;
        const f = {
          type: this.#buf[3] as number,
          flags: this.#buf[4] as number,
          stream: this.#buf.readUInt32BE(5) & 0x7fffffff,
          payload: this.#buf.subarray(9, 9 + len),
        };
        this.#buf = this.#buf.subarray(9 + len);
        this.frames.push(f);
        if (f.type === FRAME.SETTINGS && !(f.flags & FLAG.ACK) && socket.writable)
          socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
      }
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Connects (TLS with ALPN h2, or plain h2c), sends the preface and an empty SETTINGS. */
  static async open(port: number, tls: boolean, firstSettings: Buffer = settings()): Promise<RawH2> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tls
        ? tlsConnect(
            { host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false, servername: 'localhost' },
            () => resolve(s),
          )
        : netConnect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const c = new RawH2(socket);
    socket.write(Buffer.concat([PREFACE, firstSettings]));
    return c;
  }

  send(...frames: Buffer[]): boolean {
    if (!this.socket.writable) return false;
    return this.socket.write(Buffer.concat(frames));
  }

  /** Waits until `pred` holds of the frames so far, or the connection closes, or timeoutMs. */
  async until(pred: (frames: Frame[]) => boolean, timeoutMs = 5000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!pred(this.frames)) {
      if (this.closed || Date.now() > end) return pred(this.frames);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, end - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  goaway(): { code: number; lastStream: number } | undefined {
    const f = this.frames.find((x) => x.type === FRAME.GOAWAY);
    return f && { lastStream: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4) };
  }

  rst(stream: number): number | undefined {
    const f = this.frames.find((x) => x.type === FRAME.RST_STREAM && x.stream === stream);
    return f?.payload.readUInt32BE(0);
  }

  /** The :status of the stream's response when sent as a static-table index (200, 204, 206, 304, 400, 404, 500), else 0. */
  status(stream: number): number | undefined {
    const f = this.frames.find((x) => x.type === FRAME.HEADERS && x.stream === stream);
    if (!f) return undefined;
    const indexed: Record<number, number> = {
      0x88: 200,
      0x89: 204,
      0x8a: 206,
      0x8b: 304,
      0x8c: 400,
      0x8d: 404,
      0x8e: 500,
    };
    return indexed[f.payload[0] as number] ?? 0;
  }

  close(): void {
    this.socket.destroy();
  }
}
