import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigPath } from '../config/errors.js';
import type { UpstreamConfig } from './schema.js';

/**
 * Load-time checks of `upstreams` that the schema cannot make (files on disk). Returns the
 * upstreams by name for the route compiler; the live state is built by the registry service.
 */
export function checkUpstreams(
  upstreams: Readonly<Record<string, UpstreamConfig>>,
  dir: string,
  issue: (path: ConfigPath, message: string) => void,
): Map<string, UpstreamConfig> {
  const out = new Map<string, UpstreamConfig>();
  for (const [name, u] of Object.entries(upstreams)) {
    const ca = u.tls.caFile;
    if (ca) {
      try {
        accessSync(resolve(dir, ca), constants.R_OK);
      } catch {
        issue(['upstreams', name, 'tls', 'caFile'], `cannot read CA file ${resolve(dir, ca)}`);
      }
    }
    out.set(name, u);
  }
  return out;
}
