import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import type { Logger } from '../logger.js';
import { StoreUnavailableError } from './health.js';
import type { Store } from './store.js';
import type { Reply } from '../pipeline/context.js';

const UNAVAILABLE: Reply = { error: GATEWAY_ERRORS.STORE_UNAVAILABLE, headers: { 'retry-after': '1' } };
const WARN_EVERY_MS = 10_000;
let lastWarn = 0;

/** The throttle policy's answer when the Redis limiter refuses under `closed`; other errors propagate (500). */
export function storeFailureReply(err: unknown): Reply {
  if (err instanceof StoreUnavailableError) return UNAVAILABLE;
  throw err;
}

interface FailureAware {
  config?: { failure?: { quota?: 'open' | 'closed' } };
  health?: { countFallback(feature: string): void };
}

/**
 * A quota check the store could not answer: store.failure.quota `open` admits it (a warning at
 * most every 10 s, and the fallback counted in /status and metrics), `closed` answers 503. Errors
 * other than an unavailable store propagate.
 */
export function quotaFailure(store: Store, err: unknown, log: Logger): Reply | undefined {
  if (!(err instanceof StoreUnavailableError)) throw err;
  const s = store as Store & FailureAware;
  const policy = s.config?.failure?.quota ?? 'closed';
  s.health?.countFallback(`quota_${policy}`);
  const now = Date.now();
  if (now - lastWarn > WARN_EVERY_MS) {
    lastWarn = now;
    log.warn({ policy, error: err.message }, 'quota: Redis unavailable; applying store.failure.quota');
  }
  return policy === 'open' ? undefined : UNAVAILABLE;
}
