import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawRequest, startTestGateway, startUpstream } from '../helpers/gateway.js';
import { recordFigure } from './results.js';

/**
 * Reference §1.4: forwarded-address spoofing. The IP policy (resource policy) is the ACL keyed on the
 * client IP (the throttles are keyed on API keys, routes and stages, never on an address). A spoof
 * "changes the key" when a header makes the ACL decide differently than the real peer (untrusted) or
 * the right-most untrusted hop (behind a trusted proxy) would. Sent over raw sockets, so repeated
 * header lines and odd values reach the gateway as written.
 */
const CLAIMED = '10.9.9.9';

const config = (upstream: string, trusted: string, policy: string) => `version: 1
admin: { enabled: false }
server: { trustedProxies: ${trusted} }
apis:
  - name: acl
    type: http
    ipPolicy: ${policy}
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${upstream}/{proxy}" }
`;

/** Header lines claiming the client is `ip`, in every spelling proxies use. */
function spoofs(ip: string): [string, string[]][] {
  return [
    ['X-Forwarded-For', [`X-Forwarded-For: ${ip}`]],
    ['X-Forwarded-For chain', [`X-Forwarded-For: 203.0.113.9, ${ip}`]],
    ['two X-Forwarded-For lines', [`X-Forwarded-For: 203.0.113.9`, `X-Forwarded-For: ${ip}`]],
    ['X-Forwarded-For with port', [`X-Forwarded-For: ${ip}:443`]],
    ['X-Forwarded-For IPv4-mapped IPv6', [`X-Forwarded-For: ::ffff:${ip}`]],
    ['X-Forwarded-For with garbage', [`X-Forwarded-For: garbage, ${ip}, ;;`]],
    ['X-Forwarded-For IPv6 zone id', [`X-Forwarded-For: fe80::1%eth0, ${ip}`]],
    ['Forwarded for=', [`Forwarded: for=${ip}`]],
    ['Forwarded quoted', [`Forwarded: for="${ip}:80";proto=https`]],
    ['Forwarded two elements', [`Forwarded: for=203.0.113.9, for=${ip}`]],
    ['X-Real-IP', [`X-Real-IP: ${ip}`]],
    ['X-Client-IP', [`X-Client-IP: ${ip}`]],
    ['True-Client-IP', [`True-Client-IP: ${ip}`]],
    ['CF-Connecting-IP', [`CF-Connecting-IP: ${ip}`]],
    ['X-Originating-IP', [`X-Originating-IP: ${ip}`]],
    ['X-Cluster-Client-IP', [`X-Cluster-Client-IP: ${ip}`]],
    ['all at once', [`X-Forwarded-For: ${ip}`, `Forwarded: for=${ip}`, `X-Real-IP: ${ip}`, `True-Client-IP: ${ip}`]],
  ];
}

const status = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

test('XFF and other forwarded-address spoofs never change the IP policy decision (untrusted peer, and behind a trusted proxy)', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const changed: string[] = [];
  let tried = 0;
  const run = async (trusted: string, policy: string, expected: number, cases: [string, string[]][], label: string) => {
    const tg = await startTestGateway(config(up.url, trusted, policy));
    try {
      for (const [name, lines] of cases) {
        tried++;
        const raw = await rawRequest(
          tg.port,
          `GET /x HTTP/1.1\r\nHost: a\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`,
        );
        if (status(raw) !== expected) changed.push(`${label}: ${name} → ${status(raw)} (expected ${expected})`);
      }
    } finally {
      await tg.close();
    }
  };
  // 1. Untrusted peer (127.0.0.1), allow-list of the claimed address: every spoof is still refused.
  await run('[]', `{ allow: [${CLAIMED}/32] }`, 403, spoofs(CLAIMED), 'allow-list, untrusted');
  // 2. Untrusted peer on a deny-list: claiming another address does not get it through.
  await run('[]', '{ deny: [127.0.0.1/32] }', 403, spoofs('203.0.113.50'), 'deny-list, untrusted');
  // 3. Behind a trusted proxy (the peer), the client is the right-most untrusted hop: a client that
  //    prepends the allowed address to what its proxy appends is still refused.
  await run(
    '[127.0.0.1/32]',
    `{ allow: [${CLAIMED}/32] }`,
    403,
    [
      ['left-most claim', [`X-Forwarded-For: ${CLAIMED}, 203.0.113.9`]],
      ['claim in an earlier line', [`X-Forwarded-For: ${CLAIMED}`, 'X-Forwarded-For: 203.0.113.9']],
      ['claim in Forwarded, XFF real', [`Forwarded: for=${CLAIMED}`, 'X-Forwarded-For: 203.0.113.9']],
      ['claim in X-Real-IP, XFF real', [`X-Real-IP: ${CLAIMED}`, 'X-Forwarded-For: 203.0.113.9']],
      ['garbage right-most hop', [`X-Forwarded-For: ${CLAIMED}, garbage`]],
      ['zone id right-most hop', [`X-Forwarded-For: ${CLAIMED}, fe80::1%eth0`]],
    ],
    'allow-list, trusted proxy',
  );
  // 4. Control: behind the trusted proxy, the right-most untrusted hop really is the allowed address.
  await run(
    '[127.0.0.1/32]',
    `{ allow: [${CLAIMED}/32] }`,
    200,
    [['right-most hop allowed', [`X-Forwarded-For: 203.0.113.9, ${CLAIMED}`]]],
    'control',
  );

  // The upstream sees the spoofed chain with the real peer appended, never replaced.
  const tg = await startTestGateway(config(up.url, '[]', '{}'));
  t.after(() => tg.close());
  const raw = await rawRequest(
    tg.port,
    `GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: ${CLAIMED}\r\nConnection: close\r\n\r\n`,
  );
  const seen = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
  const xff = (seen.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim());
  recordFigure({
    id: 'xff-spoof',
    figure:
      'XFF / Forwarded / X-Real-IP spoofs that changed the IP policy (ACL) decision (untrusted peer; behind a trusted proxy)',
    value: `${changed.length} of ${tried - 1} spoofs (+1 control)`,
    target: '0',
    test: 'test/reliability/client-ip.test.ts › XFF and other forwarded-address spoofs',
  });
  assert.deepEqual(changed, []);
  assert.equal(xff.at(-1), '127.0.0.1', `the upstream's X-Forwarded-For ends with the real peer: ${xff.join(', ')}`);
});
