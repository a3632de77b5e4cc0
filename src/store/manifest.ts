import type { Feature } from '../feature.js';
import { STORE_CONFIG } from './schema.js';
import { STORE_SERVICE } from './service.js';

/** The counter store: embedded (memory + SQLite) or Redis (docs/cluster.md). Core, listed like a feature for its service. */
export const manifest: Feature = { name: 'store', config: STORE_CONFIG, services: [STORE_SERVICE] };
