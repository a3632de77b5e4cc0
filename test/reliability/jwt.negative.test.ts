import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64url, type CryptoKey, exportJWK, exportSPKI, importJWK, SignJWT, type JWTPayload } from 'jose';
import { ManualClock } from '../../src/clock.js';
import { makeKey, type SigningKey, startJwksServer } from '../access/access-helpers.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { recordFigure } from './results.js';

/**
 * Reference §1.15: the JWT authorizer's negative cases, counted. Each forged or invalid token must be
 * answered 401 without reaching the upstream (431 for one over the header limit, which bounds tokens); headers that point at keys (`jku`, `x5u`) are never
 * fetched and an embedded `jwk` is never trusted; a flood of unknown `kid`s refetches the key set at
 * most once per cooldown. A valid token is the control. test/access/jwt.test.ts checks the answers'
 * details (challenges, bodies); this file counts.
 */
test('JWT negative cases: every forged or invalid token rejected before the upstream; no key URL fetched; unknown kids refetch at most once', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const now = () => Math.floor(clock.now() / 1000);
  const [good, attacker] = (await Promise.all([makeKey('RS256', 'rs-1'), makeKey('RS256', 'rs-1')])) as [
    SigningKey,
    SigningKey,
  ];
  const issuer = await startJwksServer([good]);
  // The attacker's own key server: anything that fetches from it is a failure.
  const evil = await startJwksServer([attacker]);
  const up = await startUpstream();
  const tg = await startTestGateway(
    `version: 1
apis:
  - name: api
    type: http
    stages: { $default: {} }
    authorizers:
      jwt:
        type: jwt
        issuer: ${issuer.url}
        audiences: [api]
        jwksUri: ${issuer.jwksUri}
        clockSkewSeconds: 30
    routes:
      - route: GET /p
        authorizer: jwt
        integration: { type: http_proxy, uri: ${up.url}/p }
`,
    { clock },
  );
  t.after(async () => {
    await tg.close();
    await up.close();
    await issuer.close();
    await evil.close();
  });
  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    sub: 'u',
    aud: 'api',
    iss: issuer.url,
    iat: now(),
    exp: now() + 600,
    ...extra,
  });
  const sign = (key: SigningKey, extra: JWTPayload = {}, header: Record<string, unknown> = {}) =>
    new SignJWT(claims(extra)).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
  /** Signed by hand (RS256), for headers jose refuses to sign, such as an unknown `crit`. */
  const signRaw = async (key: SigningKey, header: Record<string, unknown>) => {
    const input = `${base64url.encode(JSON.stringify({ alg: 'RS256', kid: key.kid, ...header }))}.${base64url.encode(JSON.stringify(claims()))}`;
    const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key.privateKey, new TextEncoder().encode(input));
    return `${input}.${base64url.encode(new Uint8Array(sig))}`;
  };
  const unsigned = (header: Record<string, unknown>) =>
    `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims()))}.`;

  const cases: [string, () => Promise<string>][] = [
    ['alg none', async () => unsigned({ alg: 'none', typ: 'JWT' })],
    ['alg None', async () => unsigned({ alg: 'None', typ: 'JWT' })],
    ['alg NONE with a kid', async () => unsigned({ alg: 'NONE', kid: good.kid })],
    [
      'HS256 signed with the RSA public key',
      async () => {
        const pem = await exportSPKI((await importJWK(good.publicJwk, 'RS256')) as CryptoKey);
        return new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', kid: good.kid })
          .sign(new TextEncoder().encode(pem));
      },
    ],
    ['kid ../../dev/null', () => sign(attacker, {}, { kid: '../../dev/null' })],
    ["kid ' OR 1=1 --", () => sign(attacker, {}, { kid: "' OR 1=1 --" })],
    ['jku to the attacker key set', () => sign(attacker, {}, { jku: evil.jwksUri })],
    ['x5u to the attacker', () => sign(attacker, {}, { x5u: `${evil.url}/cert.pem` })],
    [
      'embedded jwk of the attacker',
      async () =>
        sign(attacker, {}, { jwk: await exportJWK((await importJWK(attacker.publicJwk, 'RS256')) as CryptoKey) }),
    ],
    ['expired beyond the tolerance', () => sign(good, { exp: now() - 31 })],
    ['not valid before, beyond the tolerance', () => sign(good, { nbf: now() + 31 })],
    ['wrong audience', () => sign(good, { aud: 'other' })],
    ['wrong issuer', () => sign(good, { iss: 'https://evil.example' })],
    ['crit with an unknown extension', () => signRaw(good, { crit: ['x-unknown'], 'x-unknown': true })],
    // The token bound is the header section's (server.limits.maxHeaderBytes, 10,240 bytes as AWS): 431.
    ['12 KB, over the header limit', () => sign(good, { pad: 'x'.repeat(9000) })],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await sign(good)).split('.');
        return `${h}.${base64url.encode(JSON.stringify(claims({ sub: 'admin' })))}.${s}`;
      },
    ],
    ['signature stripped', async () => `${(await sign(good)).split('.').slice(0, 2).join('.')}.`],
    ['the right kid, another key', () => sign(attacker)],
    ['not a JWT', async () => 'abc.def'],
  ];
  const accepted: string[] = [];
  const seenBefore = up.requests.length;
  for (const [name, make] of cases) {
    const r = await call(tg.port, 'GET', '/p', { authorization: `Bearer ${await make()}` });
    if (r.status !== (name.includes('header limit') ? 431 : 401)) accepted.push(`${name} → ${r.status}`);
  }
  const reachedUpstream = up.requests.length - seenBefore;
  const keyUrlFetches = evil.jwksFetches + evil.discoveryFetches;

  // Unknown kids: 20 tokens with fresh kids, within one cooldown, refetch the key set at most once.
  const fetchesBefore = issuer.jwksFetches;
  for (let i = 0; i < 20; i++)
    await call(tg.port, 'GET', '/p', { authorization: `Bearer ${await sign(attacker, {}, { kid: `unknown-${i}` })}` });
  const refetches = issuer.jwksFetches - fetchesBefore;

  // Controls: a valid token passes, and so does one signed by hand without crit (signRaw is sound).
  const control = await call(tg.port, 'GET', '/p', { authorization: `Bearer ${await sign(good)}` });
  const rawControl = await call(tg.port, 'GET', '/p', { authorization: `Bearer ${await signRaw(good, {})}` });
  recordFigure({
    id: 'jwt-negative',
    figure:
      'JWT negative cases rejected (alg none ×3, HS256 with the RSA key, kid injection ×2, jku / x5u / jwk, exp / nbf beyond 30 s, aud, iss, crit, over the 10 KB header limit, tampered, stripped, wrong key, malformed); key URLs fetched; JWKS refetches for 20 unknown kids',
    value: `${cases.length - accepted.length}/${cases.length}; ${reachedUpstream} reached the upstream; ${keyUrlFetches} key URL fetches; ${refetches} refetch`,
    target: 'N/N; 0; 0; ≤ 1 per cooldown',
    test: 'test/reliability/jwt.negative.test.ts › JWT negative cases',
  });
  assert.deepEqual(accepted, []);
  assert.equal(reachedUpstream, 0);
  assert.equal(keyUrlFetches, 0, 'jku / x5u / jwk never fetched');
  assert.ok(refetches <= 1, `${refetches} JWKS fetches for 20 unknown kids`);
  assert.equal(control.status, 200, control.body);
  assert.equal(rawControl.status, 200, rawControl.body);
});
