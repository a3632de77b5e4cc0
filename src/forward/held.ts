/**
 * Counts the upstream connections that client-paced transfers hold, per origin (or named upstream):
 * streaming uploads (a body larger than server.limits.requestBufferBytes, sent as fast as the client
 * sends it) and responses paused for a slow reader. Each kind gets its own bounded share of a pool,
 * so slow clients can never take every connection to a backend (docs/security.md).
 */
interface Group {
  n: number;
  waiting: Waiter[];
}

interface Waiter {
  granted: (release: () => void) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

export class HeldConnections {
  #groups = new Map<string, Group>();
  /**
   * Response bytes waiting in client sockets' buffers past their high-water mark, over every response
   * (read-ahead.ts); bounded by server.limits.responseBufferTotalBytes.
   */
  readAheadBytes = 0;

  #group(key: string): Group {
    let g = this.#groups.get(key);
    if (!g) {
      g = { n: 0, waiting: [] };
      this.#groups.set(key, g);
    }
    return g;
  }

  /** How many are held for `key` now. */
  count(key: string): number {
    return this.#groups.get(key)?.n ?? 0;
  }

  #release(key: string, g: Group): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      g.n--;
      for (;;) {
        const w = g.waiting.shift();
        if (!w) break;
        if (w.done) continue;
        w.done = true;
        clearTimeout(w.timer);
        g.n++;
        w.granted(this.#release(key, g));
        return;
      }
      if (g.n === 0) this.#groups.delete(key);
    };
  }

  /** One of `limit` places for `key` if one is free now (its release function), else undefined. */
  tryTake(key: string, limit: number): (() => void) | undefined {
    const g = this.#group(key);
    if (g.n >= limit) return undefined;
    g.n++;
    return this.#release(key, g);
  }

  /**
   * One of `limit` places for `key`: `granted` now or when one frees, in arrival order; `expired` if
   * none freed within `waitMs`. Returns a function that gives up waiting (the client left).
   */
  acquire(
    key: string,
    limit: number,
    waitMs: number,
    granted: (release: () => void) => void,
    expired: () => void,
  ): () => void {
    const now = this.tryTake(key, limit);
    if (now) {
      granted(now);
      return () => {};
    }
    const g = this.#group(key);
    const w: Waiter = { granted, timer: undefined, done: false };
    w.timer = setTimeout(() => {
      if (w.done) return;
      w.done = true;
      g.waiting.splice(g.waiting.indexOf(w), 1);
      expired();
    }, waitMs);
    g.waiting.push(w);
    return () => {
      if (w.done) return;
      w.done = true;
      clearTimeout(w.timer);
      g.waiting.splice(g.waiting.indexOf(w), 1);
    };
  }
}
