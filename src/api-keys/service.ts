import { resolve } from 'node:path';
import type { Clock } from '../clock.js';
import type { RequestContext, Snapshot } from '../pipeline/context.js';
import type { Service, ServiceDef } from '../services.js';
import { defineService } from '../kernel/services.js';
import { STORE } from '../store/keys.js';
import type { Store } from '../store/store.js';
import { utcDay } from './usage-plans/period.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/loaded.js';
import type { Logger } from '../logger.js';
import { DeclaredKeyConflict, declaredKeyId, KeyRegistry } from './registry.js';
import { hashesMatch, hashKey, KEY_SECRET_FILE, loadKeySecret } from './secret.js';

/** Not counted as usage: the request was refused before it used anything. */
const UNCOUNTED = new Set(['THROTTLED', 'QUOTA_EXCEEDED', 'INVALID_API_KEY']);

/** The 'apiKeys' service: the key registry and per-key daily usage. Needs the 'store' service. */
export class ApiKeysService implements Service {
  readonly registry: KeyRegistry;
  readonly store: Store;
  #clock: Clock;

  #log: Logger | undefined;

  constructor(registry: KeyRegistry, store: Store, clock: Clock, log?: Logger) {
    this.registry = registry;
    this.store = store;
    this.#clock = clock;
    this.#log = log;
  }

  /** requestDone hook: one unit of usage for each request admitted with a key. */
  readonly countUsage = (ctx: RequestContext): void => {
    const id = ctx.identity.apiKeyId;
    if (id === undefined || UNCOUNTED.has(ctx.errorResponseType)) return;
    this.store.addUsage(id, utcDay(this.#clock.now()), 1).catch(() => {});
  };

  usage(id: string, fromDay: string, toDay: string): Promise<Record<string, number>> {
    return this.store.usage(id, fromDay, toDay);
  }

  /** Reconciles the declared keys of the config about to be swapped in; a conflict rejects the reload. */
  async beforeSwap(next: Snapshot): Promise<void> {
    await reconcileDeclared(this.registry, next.loaded, this.#log);
  }

  /** The store is closed by its own service. */
  close(): void {}
}

/** apiKeys of the config → the store; a value conflict becomes a config error at apiKeys.NAME.value. Logs names, never values. */
async function reconcileDeclared(registry: KeyRegistry, loaded: LoadedConfig, log: Logger | undefined): Promise<void> {
  try {
    const r = await registry.reconcile(loaded.config.apiKeys);
    if (r.created.length + r.updated.length + r.deleted.length) log?.info(r, 'declared API keys reconciled');
    for (const name of r.generated)
      log?.info(
        { key: name },
        `API key ${name} is declared without a value: one was generated; \`portico keys show ${declaredKeyId(name)}\` prints it once`,
      );
  } catch (err) {
    if (err instanceof DeclaredKeyConflict)
      throw new ConfigError(loaded.file, [loaded.issue(['apiKeys', err.keyName, 'value'], err.message)]);
    throw err;
  }
}

/**
 * Nodes sharing a store must hash keys under the same secret (copy <dataDir>/api-key.secret to
 * each: docs/cluster.md). The first node leaves a check value; a node with another secret refuses
 * to start rather than reject every key.
 */
async function checkSharedSecret(store: Store, secret: Buffer): Promise<void> {
  const check = hashKey(secret, 'portico api-key secret check');
  if (await store.insert('meta', 'apiKeySecretCheck', check)) return;
  const theirs = await store.get<string>('meta', 'apiKeySecretCheck');
  if (typeof theirs === 'string' && !hashesMatch(theirs, check)) {
    throw new Error(
      `${KEY_SECRET_FILE} differs from the one the other nodes sharing this store use; copy theirs to every node`,
    );
  }
}

export const API_KEYS = defineService<ApiKeysService>('apiKeys');

export const API_KEYS_SERVICE: ServiceDef = {
  name: API_KEYS,
  deps: [STORE],
  async start(runtime, loaded) {
    const store = runtime.services.get(STORE);
    if (!store) throw new Error('the apiKeys service needs the store service to start first');
    const secret = await loadKeySecret(resolve(loaded.dir, loaded.config.dataDir));
    if (store.onChange) await checkSharedSecret(store, secret);
    const svc = new ApiKeysService(
      await KeyRegistry.open(store, secret, runtime.clock),
      store,
      runtime.clock,
      runtime.log,
    );
    await reconcileDeclared(svc.registry, loaded, runtime.log);
    const failure = store as Store & { config?: { failure?: { keys?: string } }; health?: { up: boolean } };
    if (failure.config?.failure?.keys === 'closed' && failure.health)
      svc.registry.refuseWhile = () => !failure.health?.up;
    runtime.requestDone.push(svc.countUsage);
    return svc;
  },
};
