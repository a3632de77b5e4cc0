/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) never cross the gateway, in either direction, and neither do
 * headers that `Connection` nominates. Names here are lower-case.
 */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Lower-case names listed in a Connection header value (or values). */
export function nominatedHeaders(connection: string | string[] | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  const out = new Set<string>();
  for (const v of Array.isArray(connection) ? connection : [connection]) {
    for (const part of v.split(',')) {
      const name = part.trim().toLowerCase();
      if (name && name !== 'close' && name !== 'keep-alive') out.add(name);
    }
  }
  return out.size ? out : undefined;
}
