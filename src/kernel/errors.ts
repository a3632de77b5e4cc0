/**
 * The catalogue of internal error classes shared across features (kernel: imports nothing). Gateway
 * responses, what the client sees, are ./gateway-errors.ts (`GATEWAY_ERRORS`); these are
 * the failures inside the gateway that a feature maps onto one of them. A class is defined once
 * here, not per feature (there were two BodyTooLargeError and two FunctionTimeoutError classes).
 * The forwarding path's are here too; src/forward/errors.ts re-exports them with the one mapping
 * from a failed dispatch to a gateway response.
 */

/** A request body is larger than the limit (→ 413 REQUEST_TOO_LARGE). */
export class BodyTooLargeError extends Error {
  readonly code = 'GW_ERR_REQUEST_TOO_LARGE';
}

/** The client went away or the stream failed before the body was complete. */
export class BodyReadError extends Error {
  readonly code = 'GW_ERR_BODY_READ';
}

/** A function (integration or authorizer) did not settle within its timeout (→ 504 / AUTHORIZER_FAILURE). */
export class FunctionTimeoutError extends Error {
  readonly code = 'GW_ERR_FUNCTION_TIMEOUT';
}

/** The worker died under a function invocation: process.exit, out of memory, a native crash (→ 502). */
export class FunctionCrashError extends Error {
  readonly code = 'GW_ERR_FUNCTION_CRASHED';
}

/** A function module could not be loaded or does not export a function (→ AUTHORIZER_CONFIGURATION_ERROR / 500). */
export class FunctionLoadError extends Error {}

/** The client went away (or a response observer answered it): the upstream request is stopped. */
export class ClientAbortError extends Error {
  readonly code = 'GW_ERR_CLIENT_ABORTED';
}

/** No response head within the integration's time (→ 504). */
export class IntegrationTimeoutError extends Error {
  readonly code = 'GW_ERR_INTEGRATION_TIMEOUT';
}

/** A named upstream's timeouts.totalMs ran out over all tries (→ 504). */
export class TotalTimeoutError extends Error {
  readonly code = 'GW_ERR_UPSTREAM_TOTAL_TIMEOUT';
}

/** Aborts a try whose retryable response is being thrown away. */
export class DiscardError extends Error {}

/** Bad admin input on an upstream: unknown target, bad weight (→ its status). */
export class UpstreamInputError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
