import { GATEWAY_ERRORS, type GatewayErrorDef } from '../gateway-responses.js';
import { BodyTooLargeError } from '../kernel/errors.js';

/**
 * The internal error classes of the forwarding path (URI integrations and named upstreams) and the one
 * mapping from a failed dispatch to a gateway response. Kept in one file so the global error
 * catalogue can take it over whole.
 */

/** The request body went past server.limits.maxBodyBytes while streaming: a 413 (the kernel's one class). */
export { BodyTooLargeError };

/** The client went away (or a response observer answered it): the upstream request is stopped. */
export class ClientAbortError extends Error {
  readonly code = 'GW_ERR_CLIENT_ABORTED';
}

/** No response head within the integration's time: a 504. */
export class IntegrationTimeoutError extends Error {
  readonly code = 'GW_ERR_INTEGRATION_TIMEOUT';
}

/** A named upstream's timeouts.totalMs ran out over all tries: a 504. */
export class TotalTimeoutError extends Error {
  readonly code = 'GW_ERR_UPSTREAM_TOTAL_TIMEOUT';
}

/** Aborts a try whose retryable response is being thrown away. */
export class DiscardError extends Error {}

/** Thrown for bad admin input on an upstream (unknown target, bad weight). */
export class UpstreamInputError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The gateway response for a dispatch that failed before the response started: 413 for a body
 * over the limit (with connection: close), 504 for a timeout, 500 otherwise.
 */
export function dispatchFailure(err: Error): { def: GatewayErrorDef; extra: Record<string, string> | undefined } {
  if (err instanceof BodyTooLargeError) return { def: GATEWAY_ERRORS.REQUEST_TOO_LARGE, extra: { connection: 'close' } };
  const code = (err as NodeJS.ErrnoException).code;
  if (
    err instanceof IntegrationTimeoutError ||
    err instanceof TotalTimeoutError ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return { def: GATEWAY_ERRORS.INTEGRATION_TIMEOUT, extra: undefined };
  }
  return { def: GATEWAY_ERRORS.INTEGRATION_FAILURE, extra: undefined };
}
