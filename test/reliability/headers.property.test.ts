import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { test } from 'node:test';
import fc from 'fast-check';
import { GatewayResponses } from '../../src/gateway-responses.js';
import { GATEWAY_ERRORS } from '../../src/kernel/gateway-errors.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { buildUpstreamHeaders } from '../../src/forward/headers.js';
import { HOP_BY_HOP } from '../../src/forward/hop-by-hop.js';
import { TrustedProxies } from '../../src/server/client-ip.js';
import type { TemplateScope } from '../../src/template.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { headerPairs } from '../proxy/proxy-helpers.js';
import { recordFigure } from './results.js';

/** Strings full of what header injection needs: CR, LF, NUL, other controls, separators, Unicode. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\r\n',
        '\r',
        '\n',
        '\0',
        '\x01',
        '\x0b',
        '\x1f',
        '\x7f',
        '\t',
        ' ',
        ':',
        ';',
        ',',
        '"',
        'é',
        '\u2028',
        '\u0085',
        '😀',
        'X-Injected: 1',
        'HTTP/1.1 200 OK',
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 8 },
  )
  .map((p) => p.join(''));

const CRLF_NUL = /[\r\n\0]/;

function scopeWith(value: string): TemplateScope {
  return {
    requestId: value,
    clientIp: value,
    method: 'GET',
    rawPath: value,
    userAgent: value,
    host: value,
    protocol: 'HTTP/1.1',
    startTimeMs: 0,
    apiName: value,
    stageName: value,
    resourcePath: value,
    routeKey: value,
    stageVariables: { v: value },
    errorMessage: value,
    errorResponseType: value,
    identity: { principalId: value, claims: { sub: value, iss: value } },
  };
}

test('gateway response header templates: any value from claims, stage variables or the request renders to a valid header value (no CR/LF/NUL)', () => {
  const responses = GatewayResponses.compile('http', {
    DEFAULT_4XX: {
      contentType: 'application/json',
      headers: {
        'x-sub': '$context.authorizer.claims.sub',
        'x-var': 'v=$stageVariables.v',
        'x-path': '$context.path',
        'x-agent': '$context.identity.userAgent',
      },
    },
  } as never);
  assert.ok(!('errors' in responses), JSON.stringify(responses));
  fc.assert(
    fc.property(hostile, (value) => {
      const r = (responses as GatewayResponses).render(GATEWAY_ERRORS.HTTP_ROUTE_NOT_FOUND, scopeWith(value));
      for (const [name, v] of Object.entries(r.headers)) {
        if (CRLF_NUL.test(v)) return false;
        validateHeaderValue(name, v); // throws on what Node would refuse to send
      }
      return true;
    }),
    { numRuns: 5000, seed: 11 },
  );
});

function fakeCtx(extra: [string, string][], xff: string, peer = '198.51.100.7'): RequestContext {
  return {
    req: { rawHeaders: ['Host', 'a', 'X-Forwarded-For', xff], headers: { host: 'a', 'x-forwarded-for': xff } },
    snapshot: { trustedProxies: new TrustedProxies([]) },
    peerIp: peer,
    localPort: 8080,
    requestId: 'req-1',
    upstreamHeaders: extra,
  } as unknown as RequestContext;
}

test('headers policies add for the upstream (ctx.upstreamHeaders): CR, LF and NUL never reach the wire; every value is sendable', () => {
  fc.assert(
    fc.property(hostile, (value) => {
      const out = buildUpstreamHeaders(fakeCtx([['x-claim', value]], '1.2.3.4'));
      for (let i = 1; i < out.length; i += 2) {
        const v = out[i] as string;
        if (CRLF_NUL.test(v)) return false;
        validateHeaderValue(out[i - 1] as string, v);
      }
      return true;
    }),
    { numRuns: 5000, seed: 12 },
  );
});

test('X-Forwarded-For from an untrusted peer is never believed: the client IP is the peer, whatever the header says', () => {
  const none = new TrustedProxies([]);
  const some = new TrustedProxies(['10.0.0.0/8', '::1']);
  const hop = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.constantFrom(
      'unknown',
      '',
      ' ',
      '[::1]:80',
      '10.0.0.1:443',
      'fe80::1%eth0',
      '::ffff:10.1.1.1',
      'garbage',
      '1.2.3.4, 5.6.7.8',
    ),
  );
  const xff = fc.array(hop, { maxLength: 6 }).map((h) => h.join(', '));
  fc.assert(
    fc.property(fc.ipV4(), xff, (peer, header) => {
      if (none.clientIp(peer, header) !== peer) return false;
      // A peer outside trustedProxies is not believed either.
      if (!some.isTrusted(peer) && some.clientIp(peer, header) !== peer) return false;
      // From a trusted peer the answer is the peer or one of the listed hops, never made up.
      const ip = some.clientIp('10.0.0.2', header);
      return ip === '10.0.0.2' || header.includes(ip.replace(/^::ffff:/, ''));
    }),
    { numRuns: 20_000, seed: 13 },
  );
  fc.assert(
    fc.property(xff, (header) => {
      const out = buildUpstreamHeaders(fakeCtx([], header));
      const pairs = new Map<string, string>();
      for (let i = 0; i < out.length; i += 2) pairs.set((out[i] as string).toLowerCase(), out[i + 1] as string);
      return (
        pairs.get('x-forwarded-for') === '198.51.100.7' &&
        (pairs.get('forwarded') ?? '').startsWith('for=198.51.100.7;')
      );
    }),
    { numRuns: 5000, seed: 14 },
  );
});

test('hop-by-hop and Connection-nominated headers never cross, either way; gateway-set headers survive nomination (property, real sockets)', async (t) => {
  const hop = [...HOP_BY_HOP].filter(
    (h) => !['connection', 'transfer-encoding', 'te', 'upgrade', 'trailer'].includes(h),
  );
  let nominatedBack: string[] = [];
  const up = await startUpstream((_req, res) => {
    const headers: Record<string, string> = {
      'x-keep': 'yes',
      'keep-alive': 'timeout=99',
      'proxy-authenticate': 'Basic',
      connection: `keep-alive, ${nominatedBack.join(', ')}`,
    };
    for (const n of nominatedBack) headers[n] = 'secret';
    res.writeHead(200, headers);
    res.end('ok');
  });
  t.after(() => up.close());
  const gw = await startTestGateway(`version: 1
admin: { enabled: false }
server: { timeouts: { drainMs: 1000 } }
apis:
  - name: h
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${up.url}/{proxy}" }
`);
  t.after(() => gw.close());
  const name = fc.constantFrom(
    'x-a',
    'x-b',
    'authorization',
    'cookie',
    'x-forwarded-for',
    'x-request-id',
    'forwarded',
    'x-forwarded-proto',
    'x-real-ip',
    'x-custom-1',
  );
  const leaks: string[] = [];
  const runs = fc.sample(
    fc.record({
      nominated: fc.uniqueArray(name, { maxLength: 4 }),
      back: fc.uniqueArray(fc.constantFrom('x-up-a', 'x-up-b', 'set-cookie-2'), { maxLength: 2 }),
      hops: fc.subarray(hop),
    }),
    { numRuns: 60, seed: 15 },
  );
  for (const r of runs) {
    nominatedBack = r.back;
    const headers: Record<string, string> = { connection: `keep-alive, ${r.nominated.join(', ')}` };
    for (const n of r.nominated) headers[n] = 'client-value';
    for (const h of r.hops) headers[h] = 'hop';
    headers['x-plain'] = 'kept';
    const before = up.requests.length;
    const res = await call(gw.port, 'GET', '/x', headers);
    const seen = headerPairs(up.requests[before]?.rawHeaders ?? []);
    const names = new Set(seen.map(([n]) => n));
    for (const n of r.hops) if (names.has(n)) leaks.push(`request hop-by-hop ${n} reached the upstream`);
    // undici sends its own `connection: keep-alive`; the client's Connection list must not get through.
    const conn = seen.filter(([k]) => k === 'connection').map(([, v]) => v.toLowerCase());
    if (r.nominated.some((n) => conn.some((v) => v.includes(n))))
      leaks.push(`the client's Connection list reached the upstream: ${conn.join(' | ')}`);
    for (const n of r.nominated) {
      const values = seen.filter(([k]) => k === n).map(([, v]) => v);
      if (values.includes('client-value')) leaks.push(`nominated ${n} reached the upstream`);
    }
    for (const must of ['x-forwarded-for', 'x-request-id', 'forwarded', 'x-forwarded-proto'])
      if (!names.has(must)) leaks.push(`gateway-set ${must} was stripped`);
    if (!names.has('x-plain')) leaks.push('an end-to-end header was dropped');
    for (const n of [...r.back, 'proxy-authenticate'])
      if (res.headers[n] !== undefined) leaks.push(`response ${n} reached the client`);
    // Node adds the gateway's own Keep-Alive; the upstream's must not get through.
    if (res.headers['keep-alive']?.includes('99')) leaks.push("the upstream's Keep-Alive reached the client");
    if (res.headers['x-keep'] !== 'yes') leaks.push('an end-to-end response header was dropped');
  }
  recordFigure({
    id: 'hop-by-hop',
    figure: 'Hop-by-hop or Connection-nominated headers leaked (both directions)',
    value: `${leaks.length} / ${runs.length} exchanges`,
    target: '0',
    test: 'test/reliability/headers.property.test.ts › hop-by-hop and Connection-nominated headers never cross',
  });
  assert.deepEqual(leaks, []);
});

test('Host and an absolute-form authority must agree; otherwise 400', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const gw = await startTestGateway(`version: 1
admin: { enabled: false }
server: { timeouts: { drainMs: 1000 } }
apis:
  - name: h
    type: http
    hosts: [a.example]
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${up.url}/{proxy}" }
`);
  t.after(() => gw.close());
  const { rawExchange, parseRaw } = await import('../proxy/proxy-helpers.js');
  const status = async (target: string, host: string) =>
    parseRaw((await rawExchange(gw.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).data)
      .status;
  assert.equal(await status('http://a.example/x', 'a.example'), 200);
  assert.equal(await status('http://A.Example./x', 'a.example'), 200);
  assert.equal(await status('http://evil.example/x', 'a.example'), 400);
  assert.equal(await status('http://a.example@evil.example/x', 'a.example'), 400);
  assert.equal(await status('http://a.example/x', 'evil.example'), 400);
  assert.equal(up.requests.length, 2);
});

test('defect: a non-Latin-1 character (an emoji in a JWT claim) in a gateway response header template made writeHead throw', () => {
  const responses = GatewayResponses.compile('http', {
    DEFAULT_4XX: { contentType: 'application/json', headers: { 'x-sub': 'sub=$context.authorizer.claims.sub' } },
  } as never) as GatewayResponses;
  const r = responses.render(GATEWAY_ERRORS.HTTP_ROUTE_NOT_FOUND, scopeWith('ann😀\u2028\r\nX-Evil: 1'));
  assert.equal(r.headers['x-sub'], 'sub=annX-Evil: 1');
  validateHeaderValue('x-sub', r.headers['x-sub'] as string);
});

test('defect: a control character other than CR/LF/NUL in ctx.upstreamHeaders made undici refuse the upstream request', () => {
  const out = buildUpstreamHeaders(fakeCtx([['x-claim', 'a\x01b\x1fc\u00e9\u{1F600}']], '1.2.3.4'));
  const at = out.indexOf('x-claim');
  assert.equal(out[at + 1], 'abc\u00e9');
});
