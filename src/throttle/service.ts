import { IpcLimiter, IpcStore, primaryChannel } from '../cluster/ipc.js';
import type { ServiceDef } from '../services.js';
import { defineService } from '../kernel/services.js';
import { STORE } from '../store/keys.js';
import type { Limiter } from './limiter.js';
import { RedisStore } from '../store/redis.js';
import { RateLimiter } from './gcra.js';
import { RedisLimiter } from './redis.js';

/**
 * The 'limiter' service: every token bucket of the gateway, keyed by stable names, kept across
 * reloads. In process with the embedded store; in Redis (shared by all nodes) with the Redis store.
 */
export const LIMITER = defineService<Limiter>('limiter');

export const LIMITER_SERVICE: ServiceDef = {
  name: LIMITER,
  deps: [STORE],
  start: (runtime) => {
    const store = runtime.services.get(STORE);
    if (store instanceof RedisStore) return new RedisLimiter(store, runtime.clock, runtime.log);
    if (store instanceof IpcStore) return new IpcLimiter(primaryChannel());
    return new RateLimiter(runtime.clock);
  },
};
