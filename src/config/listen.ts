import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses "HOST:PORT" or "[v6]:PORT". Throws an Error whose message says what was expected. */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value);
  if (!m) throw new Error(`expected HOST:PORT such as 0.0.0.0:8080 or [::1]:8080, got "${value}"`);
  const host = (m[1] ?? m[2]) as string;
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range 0-65535`);
  if (m[1] && isIP(host) !== 6) throw new Error(`"${host}" is not an IPv6 address`);
  return { host, port };
}

export function formatListen(addr: ListenAddress): string {
  return isIP(addr.host) === 6 ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
