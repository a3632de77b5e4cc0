import type {
  EngineRequest as IncomingMessage,
  EngineResponse as ServerResponse,
  EngineSocket as Socket,
} from './engine/types.js';
import { declaresBody } from './request-checks.js';

/** The slow-client timeouts (server.timeouts), read again on every tick so a reload applies at once. */
export interface SlowClientRules {
  bodyIdleMs: number;
  bodyMinBytesPerSecond: number;
  bodyRateGraceMs: number;
  sendMs: number;
}

/** One request in flight. */
interface Watched {
  req: IncomingMessage;
  res: ServerResponse;
  socket: Socket;
  /** When this entry was last looked at. */
  at: number;
  bodyDone: boolean;
  /** socket.bytesRead when the request arrived, and at the last tick. */
  startBytes: number;
  lastBytes: number;
  /** Time Portico spent reading the body, and of that, time since its last bytes. */
  readMs: number;
  bodyIdle: number;
  /** Bytes whose socket write completed (bytesWritten - writableLength), -1 before any was pending. */
  sent: number;
  sendIdle: number;
}

/**
 * Cuts clients that are too slow in either direction (docs/security.md, "Client limits and
 * timeouts"), with one shared timer for all requests in flight:
 *
 * - a request body, while Portico reads it (the stream flows; time spent waiting for an upstream or
 *   paused by upstream backpressure does not count), must bring new bytes within bodyIdleMs and,
 *   after bodyRateGraceMs, average bodyMinBytesPerSecond: else `slowBody` (408 and close);
 * - a response with bytes pending towards the client must complete a socket write within sendMs:
 *   else the connection is destroyed. Nothing pending (waiting for the upstream, an idle SSE
 *   stream) is not a stall.
 */
export class SlowClientWatch {
  #live = new Set<Watched>();
  #byRes = new WeakMap<ServerResponse, Watched>();
  #timer: NodeJS.Timeout | undefined;
  #rules: () => SlowClientRules;
  #slowBody: (socket: Socket, res: ServerResponse) => void;
  #tickMs: number;
  #now: () => number;

  constructor(opts: {
    rules: () => SlowClientRules;
    slowBody: (socket: Socket, res: ServerResponse) => void;
    tickMs?: number;
    now?: () => number;
  }) {
    this.#rules = opts.rules;
    this.#slowBody = opts.slowBody;
    this.#tickMs = opts.tickMs ?? 250;
    this.#now = opts.now ?? Date.now;
  }

  add(req: IncomingMessage, res: ServerResponse): void {
    const hasBody = declaresBody(req.headers);
    const socket = req.socket;
    const bytes = socket.bytesRead;
    const w: Watched = {
      req,
      res,
      socket,
      at: this.#now(),
      bodyDone: !hasBody || req.complete,
      startBytes: bytes,
      lastBytes: bytes,
      readMs: 0,
      bodyIdle: 0,
      sent: -1,
      sendIdle: 0,
    };
    this.#live.add(w);
    this.#byRes.set(res, w);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.tick(), this.#tickMs);
      this.#timer.unref();
    }
  }

  /** The response closed: no more watching. */
  remove(res: ServerResponse): void {
    const w = this.#byRes.get(res);
    if (!w) return;
    this.#live.delete(w);
    if (this.#live.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  tick(): void {
    const now = this.#now();
    const r = this.#rules();
    for (const w of this.#live) {
      const dt = now - w.at;
      w.at = now;
      if (w.socket.destroyed) continue;
      if (!w.bodyDone && this.#checkBody(w, r, dt)) continue;
      if (r.sendMs > 0) this.#checkSend(w, r.sendMs, dt);
    }
  }

  /** True when the client was cut. */
  #checkBody(w: Watched, r: SlowClientRules, dt: number): boolean {
    const req = w.req;
    if (req.complete || req.destroyed) {
      w.bodyDone = true;
      return false;
    }
    // Portico is not reading (waiting for a connection, upstream backpressure): not the client's time.
    if (req.readableFlowing !== true) return false;
    const bytes = w.socket.bytesRead;
    w.readMs += dt;
    if (bytes > w.lastBytes) {
      w.lastBytes = bytes;
      w.bodyIdle = 0;
    } else w.bodyIdle += dt;
    const idle = r.bodyIdleMs > 0 && w.bodyIdle >= r.bodyIdleMs;
    const slow =
      r.bodyMinBytesPerSecond > 0 &&
      w.readMs >= Math.max(r.bodyRateGraceMs, 1) &&
      ((bytes - w.startBytes) * 1000) / w.readMs < r.bodyMinBytesPerSecond;
    if (!idle && !slow) return false;
    w.bodyDone = true;
    this.#slowBody(w.socket, w.res);
    return true;
  }

  #checkSend(w: Watched, sendMs: number, dt: number): void {
    const s = w.socket;
    if (w.res.writableLength === 0) {
      w.sent = -1;
      w.sendIdle = 0;
      return;
    }
    const sent = s.bytesWritten - s.writableLength;
    if (sent !== w.sent) {
      w.sent = sent;
      w.sendIdle = 0;
      return;
    }
    w.sendIdle += dt;
    if (w.sendIdle >= sendMs) s.destroy();
  }
}
