import type { OutgoingHttpHeaders } from 'node:http';
import type { GatewayErrorDef } from '../kernel/gateway-errors.js';

/**
 * Sees an integration's response while it streams to the client, without buffering it (the cache
 * tees a miss into its store this way). Set as `ctx.responseObserver` by a policy before the
 * integration runs; every integration calls it. See docs/pipeline.md.
 *
 * Order: onHead, then onData per chunk, then onEnd, or onError at any point instead of the rest.
 */
export interface ResponseObserver {
  /**
   * The response head, before it is sent: `headers` are the integration's own (hop-by-hop removed,
   * before the request id and CORS headers are added). The observer may add headers (X-Cache) and
   * must copy what it keeps. Returning false means the observer answered the client itself (a stale
   * copy instead of a 5xx): the integration then drops its response.
   */
  onHead(status: number, headers: OutgoingHttpHeaders): boolean | void;
  /** A body chunk, as written to the client. Keep a reference only if you copy or never mutate. */
  onData(chunk: Buffer): void;
  /** The whole body was sent. */
  onEnd(): void;
  /**
   * The integration failed. `reply` is the gateway response about to be sent, or undefined when
   * none will be (the client left, or the body broke off after the head was sent). Returning true
   * means the observer answered the client instead (only possible while `reply` is set).
   */
  onError(err: Error, reply: GatewayErrorDef | undefined): boolean | void;
}
