import { defineService } from '../kernel/services.js';
import type { Store } from './store.js';

/** The counter store service (embedded, Redis, or the cluster primary's over IPC). */
export const STORE = defineService<Store & { status?(): unknown }>('store');
