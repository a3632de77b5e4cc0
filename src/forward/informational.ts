/**
 * Interim (1xx) responses from upstreams. RFC 9110 §15.2: a client must be able to parse 1xx
 * responses before the final one, even if it did not expect them, and may ignore them. Portico
 * drops every 1xx an upstream sends before its final response (100, 102, 103 alike) and proxies the
 * final one; HAProxy and nginx pass over them the same way (docs/proxying.md).
 *
 * undici's handlers already see 102/103 as a head with a status under 200, which the forwarding
 * handlers skip. An unsolicited `100 Continue`, though, undici 7 refuses outright: its HTTP/1.1
 * parser destroys the socket with `SocketError: bad response` (nodejs/undici#201), which the
 * gateway answered as a 500. There is no option for it, so each new undici connection's parser is
 * given a `100` that it reads like any other interim response. The hook is undici's public
 * `undici:client:connected` diagnostics channel, which hands over the socket right after undici has
 * attached its parser; the parser is found by its symbol's description. If a later undici changes
 * either, nothing is wrapped and a 100 is a 500 again: test/forward/informational.test.ts fails then.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

type HeadersComplete = (statusCode: number, upgrade: boolean, shouldKeepAlive: boolean) => number;

/** True for a status that is not the final response (101 is an upgrade, never proxied here). */
export function isInterim(statusCode: number): boolean {
  return statusCode < 200;
}

function parserOf(socket: Socket): { onHeadersComplete?: HeadersComplete } | undefined {
  for (const sym of Object.getOwnPropertySymbols(socket)) {
    if (sym.description !== 'parser') continue;
    const p = (socket as unknown as Record<symbol, unknown>)[sym];
    if (p && typeof p === 'object') return p as { onHeadersComplete?: HeadersComplete };
  }
  return undefined;
}

let installed = false;

/** Installs the 100 Continue tolerance once per process (idempotent). */
export function tolerateUnsolicitedContinue(): void {
  if (installed) return;
  installed = true;
  subscribe('undici:client:connected', (message) => {
    const socket = (message as { socket?: Socket }).socket;
    const parser = socket && parserOf(socket);
    const original = parser?.onHeadersComplete;
    if (!parser || typeof original !== 'function') return;
    // 102 Processing takes the path undici keeps for interim responses: skip its (empty) body and
    // wait for the next head on the same request.
    parser.onHeadersComplete = function (statusCode, upgrade, shouldKeepAlive) {
      return original.call(this, statusCode === 100 ? 102 : statusCode, upgrade, shouldKeepAlive);
    };
  });
}
