import { type BlockList, isIP } from 'node:net';
import { blockListOf, parseCidr, type Cidr } from '../config/cidr.js';

/** Strips the IPv4-mapped prefix node reports for v4 peers on dual-stack sockets. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * `server.trustedProxies`: forwarding headers are believed only from these peers. The client IP is
 * found by walking X-Forwarded-For from the right while each hop is trusted (nginx real_ip_recursive).
 */
export class TrustedProxies {
  #list: BlockList;
  readonly isEmpty: boolean;

  /** `cidrs` as the schema checked them (parseCidr); an entry that does not parse is a bug, thrown. */
  constructor(cidrs: readonly string[]) {
    const parsed = cidrs.map((c): Cidr => {
      const r = parseCidr(c);
      if (typeof r === 'string') throw new Error(`server.trustedProxies: ${r}`);
      return r;
    });
    this.#list = blockListOf(parsed);
    this.isEmpty = cidrs.length === 0;
  }

  isTrusted(ip: string): boolean {
    if (this.isEmpty) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.#list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** The client address for a connection from `peer` carrying `xff` (X-Forwarded-For, joined). */
  clientIp(peer: string, xff: string | undefined): string {
    if (!xff || !this.isTrusted(peer)) return peer;
    const hops = xff.split(',');
    let ip = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = stripPort((hops[i] as string).trim());
      if (isIP(hop) === 0) break;
      ip = normalizeIp(hop);
      if (!this.isTrusted(ip)) break;
    }
    return ip;
  }
}

function stripPort(hop: string): string {
  if (hop.startsWith('[')) return hop.slice(1, hop.indexOf(']'));
  const colon = hop.indexOf(':');
  return colon !== -1 && hop.indexOf(':', colon + 1) === -1 ? hop.slice(0, colon) : hop;
}
