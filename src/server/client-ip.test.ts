import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeIp, TrustedProxies } from './client-ip.js';

test('normalizeIp: strips the IPv4-mapped prefix and nothing else', () => {
  const cases: Array<[desc: string, ip: string, want: string]> = [
    ['v4-mapped loopback', '::ffff:127.0.0.1', '127.0.0.1'],
    ['v4-mapped public', '::ffff:203.0.113.9', '203.0.113.9'],
    ['plain v4', '10.1.2.3', '10.1.2.3'],
    ['plain v6', '2001:db8::1', '2001:db8::1'],
    ['v6 loopback', '::1', '::1'],
    ['::ffff: without a dotted quad stays v6', '::ffff:a00:1', '::ffff:a00:1'],
  ];
  for (const [desc, ip, want] of cases) assert.equal(normalizeIp(ip), want, desc);
});

test('TrustedProxies.isTrusted: CIDRs, single addresses, both families', () => {
  const tp = new TrustedProxies(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1/128']);
  const cases: Array<[desc: string, ip: string, want: boolean]> = [
    ['inside a v4 /8', '10.200.3.4', true],
    ['outside the v4 /8', '11.0.0.1', false],
    ['single v4 address', '192.168.1.7', true],
    ['neighbour of the single address', '192.168.1.8', false],
    ['inside a v6 /32', '2001:db8:1::5', true],
    ['outside the v6 /32', '2001:db9::1', false],
    ['v6 loopback /128', '::1', true],
    ['v4-mapped form of a trusted v4 address', '::ffff:10.0.0.1', true],
    ['empty string', '', false],
    ['garbage', 'not-an-ip', false],
    ['v4 with a port is not an address', '10.0.0.1:80', false],
  ];
  for (const [desc, ip, want] of cases) assert.equal(tp.isTrusted(ip), want, desc);
  assert.equal(tp.isEmpty, false);
});

test('TrustedProxies with no entries trusts nobody, so X-Forwarded-For is ignored', () => {
  const tp = new TrustedProxies([]);
  assert.equal(tp.isEmpty, true);
  assert.equal(tp.isTrusted('127.0.0.1'), false);
  assert.equal(tp.clientIp('127.0.0.1', '1.2.3.4'), '127.0.0.1');
  assert.equal(tp.clientIp('10.0.0.1', '1.2.3.4, 10.0.0.2'), '10.0.0.1');
});

test('TrustedProxies.clientIp walks X-Forwarded-For right to left and stops at the first untrusted hop', () => {
  const tp = new TrustedProxies(['10.0.0.0/8', '127.0.0.1/32', '2001:db8::/32']);
  const cases: Array<[desc: string, peer: string, xff: string | undefined, want: string]> = [
    // The peer decides whether the header is read at all.
    ['untrusted peer: header ignored', '203.0.113.5', '1.2.3.4', '203.0.113.5'],
    ['untrusted peer: spoofed trusted chain ignored', '203.0.113.5', '1.2.3.4, 10.0.0.1', '203.0.113.5'],
    ['trusted peer, no header', '10.0.0.1', undefined, '10.0.0.1'],
    ['trusted peer, empty header', '10.0.0.1', '', '10.0.0.1'],
    ['trusted peer, one hop', '10.0.0.1', '1.2.3.4', '1.2.3.4'],
    ['skips trusted hops to the client', '10.0.0.1', '1.2.3.4, 10.0.0.2, 10.0.0.3', '1.2.3.4'],
    // Everything left of the first untrusted hop may have been written by the client.
    ['stops at the first untrusted hop', '10.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.2', '1.2.3.4'],
    ['spoofed left-most entry is not believed', '127.0.0.1', '10.9.9.9, 198.51.100.7', '198.51.100.7'],
    ['all hops trusted: left-most', '10.0.0.1', '10.0.0.5, 10.0.0.2', '10.0.0.5'],
    ['no spaces after commas', '10.0.0.1', '1.2.3.4,10.0.0.2', '1.2.3.4'],
    ['extra whitespace', '10.0.0.1', '  1.2.3.4 ,\t10.0.0.2  ', '1.2.3.4'],
    // IPv6 and v4-mapped.
    ['v6 client behind a v4 proxy', '10.0.0.1', '2001:db9::7', '2001:db9::7'],
    ['v6 trusted hop skipped', '10.0.0.1', '198.51.100.1, 2001:db8::2', '198.51.100.1'],
    ['v6 peer trusted', '2001:db8::1', '198.51.100.1', '198.51.100.1'],
    ['v4-mapped client hop is normalised', '10.0.0.1', '::ffff:198.51.100.1', '198.51.100.1'],
    ['v4-mapped trusted hop is skipped', '10.0.0.1', '198.51.100.1, ::ffff:10.0.0.2', '198.51.100.1'],
    // Ports in hops (some proxies write them; Azure does).
    ['v4 hop with a port', '10.0.0.1', '1.2.3.4:5678', '1.2.3.4'],
    ['trusted v4 hop with a port', '10.0.0.1', '1.2.3.4, 10.0.0.2:443', '1.2.3.4'],
    ['bracketed v6 hop with a port', '10.0.0.1', '[2001:db9::7]:443', '2001:db9::7'],
    ['bracketed v6 hop without a port', '10.0.0.1', '[2001:db9::7]', '2001:db9::7'],
    ['bracketed v4-mapped hop with a port', '10.0.0.1', '[::ffff:198.51.100.1]:80', '198.51.100.1'],
    // Garbage: stop at the last address we could vouch for, never return the garbage itself.
    ['garbage right-most hop: the peer', '10.0.0.1', 'unknown', '10.0.0.1'],
    ['garbage behind a trusted hop: that hop', '10.0.0.1', '1.2.3.4, bogus, 10.0.0.2', '10.0.0.2'],
    ['garbage left of the client: ignored', '10.0.0.1', 'bogus, 1.2.3.4', '1.2.3.4'],
    ['empty hop between commas', '10.0.0.1', '1.2.3.4,, 10.0.0.2', '10.0.0.2'],
    ['trailing comma', '10.0.0.1', '1.2.3.4,', '10.0.0.1'],
    ['obfuscated Forwarded-style token', '10.0.0.1', '_hidden', '10.0.0.1'],
    ['hostname', '10.0.0.1', 'client.example.com', '10.0.0.1'],
    ['out-of-range octets', '10.0.0.1', '1.2.3.400', '10.0.0.1'],
  ];
  for (const [desc, peer, xff, want] of cases) assert.equal(tp.clientIp(peer, xff), want, desc);
});
