import { Agent } from 'undici';
import type { Clock } from '../clock.js';
import type { Service, ServiceDef } from '../services.js';
import { defineService, type ServiceRegistry } from '../kernel/services.js';
import { STORE } from '../store/keys.js';
import type { JwksCache } from './jwt/jwks.js';
import { ResultCache } from './cache.js';
import { RedisStore } from '../store/redis.js';
import { RedisResultTier } from './shared-cache.js';
import type { RuntimeDeps } from '../pipeline/context.js';

export const AUTHORIZERS_SERVICE = defineService<AuthorizerService>('authorizers');

/**
 * What authorizers keep across reloads: JWKS caches (by key-set URL and settings), result caches (by API,
 * authorizer name and a hash of its config) and the HTTP client for JWKS, discovery and HTTP authorizers.
 */
export class AuthorizerService implements Service {
  readonly clock: Clock;
  readonly agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
  readonly jwks = new Map<string, JwksCache>();
  readonly #results = new Map<string, ResultCache<unknown>>();

  readonly #services: ServiceRegistry | undefined;

  constructor(clock: Clock, services?: ServiceRegistry) {
    this.clock = clock;
    this.#services = services;
  }

  results<V>(key: string): ResultCache<V> {
    let c = this.#results.get(key);
    if (!c) {
      this.#results.set(key, (c = new ResultCache<unknown>(this.clock)));
      // The Redis store (started after this service, so looked up here): results shared by all nodes.
      const store = this.#services?.get(STORE);
      if (store instanceof RedisStore) c.shared = new RedisResultTier(store, key);
    }
    return c as ResultCache<V>;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export const authorizerServiceDef: ServiceDef = {
  name: AUTHORIZERS_SERVICE,
  start: (runtime) => new AuthorizerService(runtime.clock, runtime.services),
};

/** The running gateway's service; tools that compile without one (tests) get one made on first use. */
export function authorizerService(deps: RuntimeDeps): AuthorizerService {
  return deps.services.getOrCreate(AUTHORIZERS_SERVICE, () => new AuthorizerService(deps.clock));
}
