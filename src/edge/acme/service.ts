import { resolve } from 'node:path';
import type { ServiceDef } from '../../services.js';
import { STORE } from '../../store/keys.js';
import { ChallengeBoard } from './challenge.js';
import { ACME, type AcmeService } from './keys.js';
import { AcmeManager, type AcmeTiming } from './manager.js';
import { AcmeStore, ACME_COLLECTION } from './store.js';

/** Test hook: shorter retry and check times for the managers the next service start makes. */
export const acmeTimingOverride: { value?: Partial<AcmeTiming> } = {};

/**
 * The 'acme' service: one AcmeManager per server.extraListeners[i].tls.acme, started after the
 * store. Stored certificates are read at start, before the listeners exist; `bind` (gateway, after
 * the listeners started) installs them and starts the check loops.
 */
export const ACME_SERVICE: ServiceDef = {
  name: ACME,
  deps: [STORE],
  async start(runtime, loaded) {
    const store = runtime.services.get(STORE);
    const byListener = new Map<number, AcmeManager>();
    const wanted = loaded.config.server.extraListeners.some((l) => l.tls?.acme);
    if (!wanted || !store) return idle();
    const acmeStore = new AcmeStore(store);
    const board = new ChallengeBoard(acmeStore, runtime.clock);
    for (const [i, l] of loaded.config.server.extraListeners.entries()) {
      const config = l.tls?.acme;
      if (!config) continue;
      const m = new AcmeManager({
        config,
        ...(config.caBundle ? { caBundle: resolve(loaded.dir, config.caBundle) } : {}),
        store: acmeStore,
        board,
        clock: runtime.clock,
        log: runtime.log,
        name: `data[${i}]`,
        ...(acmeTimingOverride.value ? { timing: acmeTimingOverride.value } : {}),
      });
      await m.loadStored();
      byListener.set(i, m);
    }
    const managers = [...byListener.values()];
    // Another node stored a certificate (Redis pub/sub, the workers' primary): serve it here too.
    store.onChange?.((collection, id) => {
      if (collection === '*') for (const m of managers) void m.loadStored().catch(() => {});
      else if (collection === ACME_COLLECTION && id?.startsWith('cert:'))
        for (const m of managers) void m.changed(id.slice(5)).catch(() => {});
    });
    const svc: AcmeService = {
      respond: board.respond,
      bind(listeners) {
        for (const [i, m] of byListener) {
          const tls = listeners[i]?.tls;
          if (tls) m.attach(tls);
          m.start();
        }
      },
      status: () => Object.fromEntries([...byListener].map(([i, m]) => [`data[${i}]`, m.status()])),
      async checkNow() {
        for (const m of managers) await m.check();
      },
      close() {
        for (const m of managers) m.close();
      },
    };
    return Object.assign(svc, {
      onSnapshot(snapshot: { config: typeof loaded.config }) {
        const now = JSON.stringify(snapshot.config.server.extraListeners.map((l) => l.tls?.acme));
        const was = JSON.stringify(loaded.config.server.extraListeners.map((l) => l.tls?.acme));
        if (now !== was) runtime.log.warn('acme: changes to tls.acme take effect at the next restart');
      },
    });
  },
};

function idle(): AcmeService {
  return { respond: () => false, bind() {}, status: () => ({}), checkNow: async () => {}, close() {} };
}
