import pino from 'pino';

export type Logger = pino.Logger;

/** Server log (not the access log). Secrets are never passed to it; `redact` is a second line of defence. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'portico' },
    redact: {
      paths: ['token', 'adminToken', '*.token', 'headers.authorization', 'headers["x-api-key"]'],
      censor: '[redacted]',
    },
  });
}
