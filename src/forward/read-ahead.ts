import type { EngineResponse } from '../server/engine/types.js';
import type { Dispatcher } from 'undici';
import { ClientAbortError } from '../kernel/errors.js';
import type { HeldConnections } from './held.js';
import type { ResponseTimer } from './response-timer.js';

/**
 * Writes an upstream response to the client, reading the upstream ahead of a slow client by up to
 * server.limits.responseBufferBytes (docs/security.md, "Slow clients"). A response that fits is read
 * whole, so its upstream connection goes back to the pool at once whatever the client's pace. Past
 * the bound the upstream is paused until the client drains; a paused response holds its upstream
 * connection, and takes one of server.limits.slowReadersPerOrigin places for its origin for that
 * while: a reader that would need one when none is free is cut, so slow readers cannot hold every
 * connection to a backend. server.timeouts.sendMs cuts readers that stop (server/slow-clients.ts).
 * All responses together read ahead at most server.limits.responseBufferTotalBytes: past it, a
 * response that cannot write through is paused (or cut) as if it had reached its own bound, so the
 * memory slow readers take is bounded whatever their number.
 */
export class ReadAhead {
  #res: EngineResponse;
  #held: HeldConnections;
  #key: string;
  #timer: ResponseTimer;
  #release: (() => void) | undefined;
  #paused = false;
  #controller: Dispatcher.DispatchController | undefined;
  /** This response's share of held.readAheadBytes. */
  #counted = 0;
  #watching = false;
  #account = () => {
    const now = this.#res.destroyed ? 0 : this.#res.writableLength;
    this.#held.readAheadBytes += now - this.#counted;
    this.#counted = now;
  };
  // Runs after #account, registered first on 'drain', so the share is already settled.
  #onDrain = () => {
    this.#paused = false;
    this.#timer.resume();
    this.#controller?.resume();
  };

  constructor(res: EngineResponse, held: HeldConnections, key: string, timer: ResponseTimer) {
    this.#res = res;
    this.#held = held;
    this.#key = key;
    this.#timer = timer;
  }

  /** Writes one chunk; pauses the upstream past the bound, or cuts the client (and aborts the upstream). */
  write(
    controller: Dispatcher.DispatchController,
    chunk: Buffer,
    limits: { responseBufferBytes: number; responseBufferTotalBytes: number; slowReadersPerOrigin: number },
  ): void {
    const res = this.#res;
    if (res.write(chunk)) return;
    this.#account();
    if (!this.#watching) {
      // Bytes buffered past the high-water mark count until they drain or the client goes.
      this.#watching = true;
      res.on('drain', this.#account);
      res.once('close', this.#account);
    }
    if (this.#paused) return;
    if (
      res.writableLength <= limits.responseBufferBytes &&
      this.#held.readAheadBytes <= limits.responseBufferTotalBytes
    )
      return;
    if (!this.#release) {
      this.#release = this.#held.tryTake(this.#key, limits.slowReadersPerOrigin);
      if (!this.#release) {
        const err = new ClientAbortError(
          `slow reader cut: ${limits.slowReadersPerOrigin} already hold connections to ${this.#key}`,
        );
        controller.abort(err);
        res.destroy();
        return;
      }
    }
    this.#paused = true;
    this.#controller = controller;
    controller.pause();
    this.#timer.pause();
    res.once('drain', this.#onDrain);
  }

  /** The upstream response is over (end, error, client gone): its connection is no longer held. */
  done(): void {
    this.#release?.();
    this.#release = undefined;
  }
}
