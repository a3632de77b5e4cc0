import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

export interface Resolution {
  /** IPv4 then IPv6 addresses, sorted, deduplicated. */
  addresses: string[];
  /** Smallest record TTL in ms, when the answer carried one. */
  ttlMs: number | undefined;
}

/**
 * Resolves a host name to all its A and AAAA records (Cloud Map MULTIVALUE style). With `servers`
 * it asks those DNS servers only; otherwise the system's, falling back to getaddrinfo (which reads
 * /etc/hosts but gives no TTL) when DNS has no answer.
 */
export class HostResolver {
  #resolver: dns.Resolver;
  #custom: boolean;

  constructor(servers?: readonly string[]) {
    this.#resolver = new dns.Resolver({ timeout: 2000, tries: 2 });
    this.#custom = !!servers?.length;
    if (servers?.length) this.#resolver.setServers([...servers]);
  }

  async resolve(host: string): Promise<Resolution> {
    if (isIP(host)) return { addresses: [host], ttlMs: undefined };
    if (!this.#custom && host === 'localhost') return this.#lookup(host);
    const [v4, v6] = await Promise.allSettled([
      this.#resolver.resolve4(host, { ttl: true }),
      this.#resolver.resolve6(host, { ttl: true }),
    ]);
    const records = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (records.length === 0) {
      if (!this.#custom) return this.#lookup(host);
      const err = v4.status === 'rejected' ? (v4.reason as Error) : new Error(`no A/AAAA records for ${host}`);
      throw err;
    }
    const ttl = Math.min(...records.map((r) => r.ttl));
    return { addresses: sortAddresses(records.map((r) => r.address)), ttlMs: ttl * 1000 };
  }

  async #lookup(host: string): Promise<Resolution> {
    const all = await dns.lookup(host, { all: true });
    return { addresses: sortAddresses(all.map((a) => a.address)), ttlMs: undefined };
  }
}

function sortAddresses(list: string[]): string[] {
  return [...new Set(list)].sort((a, b) => isIP(a) - isIP(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Time to the next resolution: the TTL, kept within [minMs, maxMs]. */
export function nextRefreshMs(ttlMs: number | undefined, minMs: number, maxMs: number): number {
  if (ttlMs === undefined) return maxMs;
  return Math.min(maxMs, Math.max(minMs, ttlMs));
}
