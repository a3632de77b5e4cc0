import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { base64url, type CryptoKey, exportSPKI, importJWK, SignJWT, type JWTPayload } from 'jose';
import { ManualClock } from '../../src/clock.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { type JwksServer, makeKey, type SigningKey, startJwksServer } from './access-helpers.js';

const UNAUTHORIZED = '{"message":"Unauthorized"}';
const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const challenge = (d: string) => `Bearer scope="" error="invalid_token" error_description="${d}"`;

describe('JWT/OIDC authorizer', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const nowSec = () => Math.floor(clock.now() / 1000);
  let rs: SigningKey, es: SigningKey, ps: SigningKey, ed: SigningKey, rotated: SigningKey;
  let issuer: JwksServer;
  let oidc: JwksServer;
  let up: TestUpstream;
  let gw: TestGateway;

  async function sign(key: SigningKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({
      sub: 'user-1',
      aud: 'pets-api',
      iss: issuer.url,
      iat: nowSec(),
      exp: nowSec() + 3600,
      ...claims,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
      .sign(key.privateKey);
  }
  const get = (path: string, headers: Record<string, string> = {}) => call(gw.port, 'GET', path, headers);

  before(async () => {
    [rs, es, ps, ed, rotated] = await Promise.all([
      makeKey('RS256', 'rs-1'),
      makeKey('ES256', 'es-1'),
      makeKey('PS256', 'ps-1'),
      makeKey('EdDSA', 'ed-1'),
      makeKey('RS256', 'rs-2'),
    ]);
    issuer = await startJwksServer([rs, es, ps, ed]);
    oidc = await startJwksServer([rs]);
    up = await startUpstream();
    gw = await startTestGateway(
      `
version: 1
apis:
  - name: pets
    type: http
    stages: { $default: {} }
    authorizers:
      jwks:
        type: jwt
        issuer: ${issuer.url}
        audiences: [pets-api, cognito-client]
        jwksUri: ${issuer.jwksUri}
        clockSkewSeconds: 60
        forwardClaims: { sub: x-user-sub, email: x-user-email, groups: x-user-groups }
      query:
        type: jwt
        issuer: ${issuer.url}
        audiences: [pets-api]
        jwksUri: ${issuer.jwksUri}
        identitySource: $request.querystring.access_token
      oidc:
        type: jwt
        issuer: ${oidc.url}
        audiences: [pets-api]
        discovery: true
      shared:
        type: jwt
        issuer: ${issuer.url}
        audiences: [pets-api]
        secret: ${SECRET}
    routes:
      - route: GET /pets
        authorizer: jwks
        integration: { type: http_proxy, uri: ${up.url}/pets }
      - route: GET /orders
        authorizer: jwks
        authorizationScopes: [orders:read, orders:admin]
        integration: { type: http_proxy, uri: ${up.url}/orders }
      - route: GET /q
        authorizer: query
        integration: { type: http_proxy, uri: ${up.url}/q }
      - route: GET /oidc
        authorizer: oidc
        integration: { type: http_proxy, uri: ${up.url}/oidc }
      - route: GET /hs
        authorizer: shared
        integration: { type: http_proxy, uri: ${up.url}/hs }
      - route: GET /open
        integration: { type: mock, body: open }
`,
      { clock },
    );
  });
  after(async () => {
    await gw.close();
    await up.close();
    await issuer.close();
    await oidc.close();
  });

  test('a valid RS256 token with "Bearer " passes; claims go upstream as headers', async () => {
    const r = await get('/pets', {
      authorization: `Bearer ${await sign(rs, { email: 'a@example.com', groups: ['x', 'y'] })}`,
    });
    assert.equal(r.status, 200);
    const seen = up.requests.at(-1)!.headers;
    assert.equal(seen['x-user-sub'], 'user-1');
    assert.equal(seen['x-user-email'], 'a@example.com');
    assert.equal(seen['x-user-groups'], '["x","y"]');
  });

  test('the raw token without "Bearer " passes (Cognito style)', async () => {
    assert.equal((await get('/pets', { authorization: await sign(rs) })).status, 200);
  });

  test('ES256, PS256 and EdDSA keys from the JWKS pass', async () => {
    for (const k of [es, ps, ed])
      assert.equal((await get('/pets', { authorization: `Bearer ${await sign(k)}` })).status, 200, k.alg);
  });

  test('client_id is accepted as the audience when there is no aud', async () => {
    const t = await sign(rs, { aud: undefined, client_id: 'cognito-client' });
    assert.equal((await get('/pets', { authorization: t })).status, 200);
  });

  test('a token in a query parameter identity source', async () => {
    assert.equal((await get(`/q?access_token=${await sign(rs)}`)).status, 200);
    const r = await get('/q', { authorization: `Bearer ${await sign(rs)}` });
    assert.equal(r.status, 401);
  });

  test('no token: 401 {"message":"Unauthorized"} with a bare Bearer challenge', async () => {
    const r = await get('/pets');
    assert.equal(r.status, 401);
    assert.equal(r.body, UNAUTHORIZED);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['www-authenticate'], 'Bearer');
    assert.equal(up.requests.filter((q) => q.url === '/pets' && !q.headers['x-user-sub']).length, 0);
  });

  const negative: [string, () => Promise<string>, string][] = [
    [
      'alg none',
      async () => {
        const claims = { sub: 'user-1', aud: 'pets-api', iss: issuer.url, exp: nowSec() + 60 };
        return `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(claims))}.`;
      },
      'signing method none is invalid',
    ],
    [
      'HS256 signed with the RSA public key (algorithm confusion)',
      async () => {
        const pem = await exportSPKI((await importJWK(rs.publicJwk, 'RS256')) as CryptoKey);
        return new SignJWT({ sub: 'user-1', aud: 'pets-api' })
          .setProtectedHeader({ alg: 'HS256', kid: rs.kid })
          .setIssuer(issuer.url)
          .setExpirationTime(nowSec() + 60)
          .sign(new TextEncoder().encode(pem));
      },
      'signing method HS256 is invalid',
    ],
    [
      'wrong issuer',
      () =>
        new SignJWT({ aud: 'pets-api' })
          .setProtectedHeader({ alg: 'RS256', kid: rs.kid })
          .setIssuer('https://evil.example')
          .setExpirationTime(nowSec() + 60)
          .sign(rs.privateKey),
      'the token does not have a valid issuer',
    ],
    ['wrong audience', () => sign(rs, { aud: 'other-api' }), 'the token does not have a valid audience'],
    ['expired beyond the skew', () => sign(rs, { exp: nowSec() - 61 }), 'the token has expired'],
    ['not valid yet beyond the skew', () => sign(rs, { nbf: nowSec() + 61 }), 'the token is not valid yet'],
    [
      'no exp',
      () =>
        new SignJWT({ aud: 'pets-api' })
          .setProtectedHeader({ alg: 'RS256', kid: rs.kid })
          .setIssuer(issuer.url)
          .sign(rs.privateKey),
      'the token has no expiry',
    ],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await sign(rs)).split('.');
        return `${h}.${base64url.encode(JSON.stringify({ sub: 'admin', aud: 'pets-api', iss: issuer.url, exp: nowSec() + 60 }))}.${s}`;
      },
      'the token signature is invalid',
    ],
    [
      'signed by an unknown key with a known kid',
      async () => sign({ ...rotated, kid: rs.kid }),
      'the token signature is invalid',
    ],
    // Observed on AWS for `Bearer not-a-token`; docs/aws-compatibility.md#aws-fidelity-at-the-edges.
    ['not a JWT', async () => 'abc.def', 'token contains an invalid number of segments'],
  ];
  for (const [name, make, description] of negative) {
    test(`rejected: ${name}`, async () => {
      const r = await get('/pets', { authorization: `Bearer ${await make()}` });
      assert.equal(r.status, 401);
      assert.equal(r.body, UNAUTHORIZED);
      assert.equal(r.headers['www-authenticate'], challenge(description));
    });
  }

  test('AWS HTTP API challenges: scope="" on a route without scopes, the route\'s scopes on one with them (DG:http-api-troubleshooting-jwt; observed on AWS for an expired token on a scoped route)', async () => {
    // DG: `Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"`.
    const aud = await get('/pets', { authorization: await sign(rs, { aud: 'other-api' }) });
    assert.equal(
      aud.headers['www-authenticate'],
      'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"',
    );
    // Observed: `Bearer scope="<the route's scope>" error="invalid_token" error_description="the token has expired"`.
    const expired = await get('/orders', { authorization: await sign(rs, { exp: nowSec() - 61 }) });
    assert.equal(expired.status, 401);
    assert.equal(expired.body, UNAUTHORIZED);
    assert.equal(
      expired.headers['www-authenticate'],
      'Bearer scope="orders:read orders:admin" error="invalid_token" error_description="the token has expired"',
    );
  });

  test('exp and nbf within clockSkewSeconds pass (injected clock)', async () => {
    assert.equal((await get('/pets', { authorization: await sign(rs, { exp: nowSec() - 59 }) })).status, 200);
    assert.equal((await get('/pets', { authorization: await sign(rs, { nbf: nowSec() + 59 }) })).status, 200);
    const t = await sign(rs, { exp: nowSec() + 10 });
    clock.advance(71_000);
    assert.equal((await get('/pets', { authorization: t })).status, 401);
  });

  test('scopes: none of the route\'s scopes → 403 {"message":"Forbidden"}; any one of them (scope or scp) passes', async () => {
    const r = await get('/orders', { authorization: await sign(rs, { scope: 'pets:read' }) });
    assert.equal(r.status, 403);
    assert.equal(r.body, '{"message":"Forbidden"}');
    assert.equal(
      r.headers['www-authenticate'],
      'Bearer scope="orders:read orders:admin" error="insufficient_scope" error_description="expected scopes: [orders:read orders:admin]"',
    );
    assert.equal(
      (await get('/orders', { authorization: await sign(rs, { scope: 'pets:read orders:read' }) })).status,
      200,
    );
    assert.equal((await get('/orders', { authorization: await sign(rs, { scp: ['orders:admin'] }) })).status, 200);
    assert.equal((await get('/orders', { authorization: await sign(rs) })).status, 403);
  });

  test('HS256 only with a configured secret; an RS token is refused there', async () => {
    const hs = await new SignJWT({ aud: 'pets-api' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer.url)
      .setExpirationTime(nowSec() + 60)
      .sign(new TextEncoder().encode(SECRET));
    assert.equal((await get('/hs', { authorization: hs })).status, 200);
    const r = await get('/hs', { authorization: await sign(rs) });
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], challenge('signing method RS256 is invalid'));
    // and an HS token on the JWKS authorizer
    const r2 = await get('/pets', { authorization: hs });
    assert.equal(r2.headers['www-authenticate'], challenge('signing method HS256 is invalid'));
  });

  test('claim values with CR/LF cannot inject upstream headers', async () => {
    const r = await get('/pets', { authorization: await sign(rs, { email: 'a@x\r\nx-injected: 1' }) });
    assert.equal(r.status, 200);
    const seen = up.requests.at(-1)!.headers;
    assert.equal(seen['x-user-email'], 'a@xx-injected: 1');
    assert.equal(seen['x-injected'], undefined);
  });

  test('JWKS rotation: an unknown kid refetches the key set, at most once per cooldown (injected clock)', async () => {
    clock.advance(31_000); // past the cooldown of earlier fetches
    const before = issuer.jwksFetches;
    issuer.keys = [rotated]; // the issuer rotates: rs-1 is gone, rs-2 is new
    assert.equal((await get('/pets', { authorization: await sign(rotated) })).status, 200);
    assert.equal(issuer.jwksFetches, before + 1);
    // rs-1 is unknown now; within the cooldown no refetch happens however many tokens try
    for (let i = 0; i < 5; i++) {
      const r = await get('/pets', { authorization: await sign(rs, { jti: String(i) }) });
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], challenge('no key of the issuer matches the token'));
    }
    const madeUp = await sign({ ...rotated, kid: 'made-up' });
    assert.equal((await get('/pets', { authorization: madeUp })).status, 401);
    assert.equal(issuer.jwksFetches, before + 1);
    // after the cooldown one refetch; the issuer brings rs-1 back
    issuer.keys = [rs, rotated];
    clock.advance(30_000);
    assert.equal((await get('/pets', { authorization: await sign(rs) })).status, 200);
    assert.equal(issuer.jwksFetches, before + 2);
    assert.equal((await get('/pets', { authorization: await sign(rs) })).status, 200);
    assert.equal(issuer.jwksFetches, before + 2);
  });

  test('OIDC discovery from a loopback issuer', async () => {
    const t = await new SignJWT({ aud: 'pets-api', sub: 'o' })
      .setProtectedHeader({ alg: 'RS256', kid: rs.kid })
      .setIssuer(oidc.url)
      .setExpirationTime(nowSec() + 60)
      .sign(rs.privateKey);
    assert.equal((await get('/oidc', { authorization: `Bearer ${t}` })).status, 200);
    assert.equal((await get('/oidc', { authorization: `Bearer ${t}` })).status, 200);
    assert.equal(oidc.discoveryFetches, 1);
    assert.equal(oidc.jwksFetches, 1);
    // a token of the other issuer is refused here
    assert.equal((await get('/oidc', { authorization: await sign(rs) })).status, 401);
  });

  test('a route without an authorizer is open', async () => {
    assert.equal((await get('/open')).body, 'open');
  });
});

describe('JWT authorizer on a REST API', () => {
  test('401 carries x-amzn-ErrorType UnauthorizedException; JWKS unreachable → 500 {"message": null}', async () => {
    const gw = await startTestGateway(`
version: 1
apis:
  - name: r
    type: rest
    stages: { prod: {} }
    authorizers:
      down: { type: jwt, issuer: https://issuer.example, audiences: [a], jwksUri: "http://127.0.0.1:1/jwks" }
    routes:
      - route: GET /x
        authorizer: down
        integration: { type: mock }
`);
    try {
      const r = await call(gw.port, 'GET', '/prod/x');
      assert.equal(r.status, 401);
      assert.equal(r.body, UNAUTHORIZED);
      assert.equal(r.headers['x-amzn-errortype'], 'UnauthorizedException');
      const key = await makeKey('RS256', 'k');
      const t = await new SignJWT({ aud: 'a' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k' })
        .setIssuer('https://issuer.example')
        .setExpirationTime('1h')
        .sign(key.privateKey);
      const r2 = await call(gw.port, 'GET', '/prod/x', { authorization: t });
      assert.equal(r2.status, 500);
      assert.equal(r2.body, '{"message": null}');
      assert.equal(r2.headers['x-amzn-errortype'], 'AuthorizerConfigurationException');
    } finally {
      await gw.close();
    }
  });
});
