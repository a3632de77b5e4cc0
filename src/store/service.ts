import { resolve } from 'node:path';
import type { ServiceDef } from '../services.js';
import { EmbeddedStore } from './embedded.js';

export const STORE_FILE = 'portico.db';

/** The 'store' service: the embedded store in <dataDir>/portico.db (Redis arrives with the cluster issue). */
export const STORE_SERVICE: ServiceDef = {
  name: 'store',
  start: (runtime, loaded) =>
    new EmbeddedStore({ file: resolve(loaded.dir, loaded.config.dataDir, STORE_FILE), clock: runtime.clock }),
};
