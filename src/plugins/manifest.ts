import type { Feature } from '../feature.js';
import { pluginsRootFields } from './schema.js';

/**
 * User plugins (docs/plugins.md): the `plugins` root key. The plugins themselves are loaded with the
 * config (load.ts, called by the gateway and the CLI before compile), each becoming a Feature of its own.
 */
export const manifest: Feature = { name: 'plugins', config: { root: pluginsRootFields } };
