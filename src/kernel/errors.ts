/**
 * The catalogue of internal error classes shared across features (kernel: imports nothing). Gateway
 * responses, what the client sees, stay in src/gateway-responses.ts (`GATEWAY_ERRORS`); these are
 * the failures inside the gateway that a feature maps onto one of them. A class is defined once
 * here, not per feature (there were two BodyTooLargeError and two FunctionTimeoutError classes).
 * The forwarding path's own errors are in src/forward/errors.ts (which re-exports BodyTooLargeError from
 * here); they join this file when the two http_proxy paths are one.
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
