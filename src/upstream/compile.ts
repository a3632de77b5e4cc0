import type { ConfigPath } from '../config/errors.js';
import type { UpstreamConfig } from './schema.js';
import { readUpstreamTls } from './tls.js';

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
    for (const p of readUpstreamTls(u.tls, dir).problems) issue(['upstreams', name, 'tls', p.field], p.message);
    out.set(name, u);
  }
  return out;
}
