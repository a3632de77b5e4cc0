import { GATEWAY_ERRORS, type GatewayErrorDef } from '../kernel/gateway-errors.js';
import { BodyTooLargeError, IntegrationTimeoutError, TotalTimeoutError } from '../kernel/errors.js';

/**
 * The gateway response for a dispatch that failed before the response started: 413 for a body
 * over the limit (with connection: close), 504 for a timeout, 500 otherwise.
 */
export function dispatchFailure(err: Error): { def: GatewayErrorDef; extra: Record<string, string> | undefined } {
  if (err instanceof BodyTooLargeError)
    return { def: GATEWAY_ERRORS.REQUEST_TOO_LARGE, extra: { connection: 'close' } };
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
