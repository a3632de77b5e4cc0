import { BlockList } from 'node:net';
import ipaddr from 'ipaddr.js';

/** One address or range of `server.trustedProxies` and `ipPolicy.allow/deny`. */
export interface Cidr {
  address: string;
  family: 'ipv4' | 'ipv6';
  /** undefined: a single address. */
  prefix: number | undefined;
}

/**
 * "10.0.0.0/8", "2001:db8::/32", "192.0.2.7" → a Cidr, or what is wrong (the message of a config
 * issue, which the schema puts at its path: `server.trustedProxies[2]: "10.0.0.0/33": prefix out of
 * range (0-32 for IPv4)`). Addresses are read by ipaddr.js, IPv4 in four-part decimal only (no
 * "10.1" or "010.0.0.1", which other tools read differently); zone ids (`%eth0`) are refused.
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  const bits = slash === -1 ? undefined : text.slice(slash + 1);
  const q = JSON.stringify(text);
  let family: Cidr['family'];
  if (ipaddr.IPv4.isValidFourPartDecimal(addr)) family = 'ipv4';
  else if (ipaddr.IPv6.isValid(addr)) {
    if (addr.includes('%')) return `${q}: zone ids (%...) are not supported`;
    family = 'ipv6';
  } else return `${q}: not an IPv4 or IPv6 address${slash === -1 ? '' : ' before the "/"'}`;
  if (bits === undefined) return { address: addr, family, prefix: undefined };
  const max = family === 'ipv4' ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits)) return `${q}: the prefix length after "/" must be a number from 0 to ${max}`;
  const prefix = Number(bits);
  if (prefix > max) return `${q}: prefix out of range (0-${max} for ${family === 'ipv4' ? 'IPv4' : 'IPv6'})`;
  return { address: addr, family, prefix };
}

/** A BlockList of ranges parsed by parseCidr (entries the schema has already checked). */
export function blockListOf(entries: readonly Cidr[]): BlockList {
  const list = new BlockList();
  for (const c of entries) {
    if (c.prefix === undefined) list.addAddress(c.address, c.family);
    else list.addSubnet(c.address, c.prefix, c.family);
  }
  return list;
}
