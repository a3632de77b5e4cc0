import { Agent } from 'undici';
import type { Clock } from '../../clock.js';
import type { RuntimeDeps } from '../../pipeline/policy.js';
import type { Service, ServiceDef } from '../../services.js';
import type { JwksCache } from '../jwt/jwks.js';
import { ResultCache } from './cache.js';

export const AUTHORIZERS_SERVICE = 'authorizers';

/**
 * What authorizers keep across reloads: JWKS caches (by key-set URL and settings), result caches (by API,
 * authorizer name and a hash of its config) and the HTTP client for JWKS, discovery and HTTP authorizers.
 */
export class AuthorizerService implements Service {
  readonly clock: Clock;
  readonly agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
  readonly jwks = new Map<string, JwksCache>();
  readonly #results = new Map<string, ResultCache<unknown>>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  results<V>(key: string): ResultCache<V> {
    let c = this.#results.get(key);
    if (!c) this.#results.set(key, (c = new ResultCache<unknown>(this.clock)));
    return c as ResultCache<V>;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export const authorizerServiceDef: ServiceDef = {
  name: AUTHORIZERS_SERVICE,
  start: (runtime) => new AuthorizerService(runtime.clock),
};

/** The running gateway's service; tools that compile without one (tests) get one made on first use. */
export function authorizerService(deps: RuntimeDeps): AuthorizerService {
  let s = deps.services.get(AUTHORIZERS_SERVICE) as AuthorizerService | undefined;
  if (!s) deps.services.set(AUTHORIZERS_SERVICE, (s = new AuthorizerService(deps.clock)));
  return s;
}
