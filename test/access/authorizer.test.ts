import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

const ARN = 'arn:aws:execute-api:eu-west-1:111122223333:pets/prod';
const DENY = '{"Message":"User is not authorized to access this resource with an explicit deny"}';
const NOT_ALLOWED = '{"Message":"User is not authorized to access this resource"}';

const MODULE = `
const g = globalThis;
const allow = (resource, extra = {}) => ({
  principalId: 'u1',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }] },
  ...extra,
});
export async function handler(event) {
  g.calls = (g.calls ?? 0) + 1;
  g.lastEvent = event;
  switch (event.authorizationToken ?? event.headers['X-Token']) {
    case 'allow': return allow(event.methodArn, { context: { userId: 'u1', n: 42, ok: true, bad: 'a\\r\\nx-evil: 1' }, usageIdentifierKey: 'key-123' });
    case 'wild': return allow(['arn:aws:execute-api:*:*:pets/*/GET/pets/?', 'arn:aws:execute-api:eu-west-1:111122223333:pets/prod/GET/other']);
    case 'deny': return { principalId: 'u1', policyDocument: { Statement: [{ Action: '*', Effect: 'Deny', Resource: '*' }, { Action: '*', Effect: 'Allow', Resource: '*' }] } };
    case 'unauthorized': throw new Error('Unauthorized');
    case 'boom': throw new Error('boom');
    case 'bad': return { principalId: 5 };
    case 'nested': return allow('*', { context: { a: { b: 1 } } });
    case 'simple-yes': return { isAuthorized: true, context: { tenant: 't1' } };
    case 'simple-no': return { isAuthorized: false };
    case 'hang': return new Promise(() => {});
    default: return allow('*');
  }
}
export function callbackStyle(event, context, callback) {
  g.calls = (g.calls ?? 0) + 1;
  if (event.authorizationToken === 'no') callback('Unauthorized');
  else callback(null, { principalId: 'cb', policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] } });
}
`;

const calls = () => (globalThis as { calls?: number }).calls ?? 0;
const lastEvent = () => (globalThis as { lastEvent?: Record<string, unknown> }).lastEvent;

describe('function and HTTP authorizers', () => {
  const clock = new ManualClock();
  let dir: string;
  let up: TestUpstream;
  let authHttp: TestUpstream;
  let gw: TestGateway;
  const get = (path: string, headers: Record<string, string> = {}) => call(gw.port, 'GET', path, headers);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-authz-'));
    await writeFile(join(dir, 'auth.mjs'), MODULE);
    up = await startUpstream();
    authHttp = await startUpstream((req, res) => {
      const token = req.headers.authorization ?? '';
      if (token === 'ok') {
        const body = JSON.stringify({ principalId: 'h1', context: { plan: 'gold' }, usageIdentifierKey: 'k' });
        res.writeHead(200, { 'content-type': 'application/json', 'x-auth-user': 'h1', 'x-other': 'no' }).end(body);
      } else if (token === 'plain') res.writeHead(204).end();
      else if (token === 'forbidden') res.writeHead(403).end();
      else if (token === 'error') res.writeHead(503).end();
      else res.writeHead(401).end();
    });
    const fn = join(dir, 'auth.mjs');
    gw = await startTestGateway(
      `
version: 1
apis:
  - name: pets
    type: rest
    arn: { region: eu-west-1, accountId: "111122223333" }
    stages: { prod: { variables: { v: "1" } } }
    authorizers:
      tok: { type: function, function: "${fn}#handler", identityValidationExpression: "^[a-z-]+$" }
      nocache: { type: function, function: "${fn}", resultTtlSeconds: 0, timeoutMs: 200 }
      cb: { type: function, function: "${fn}#callbackStyle", resultTtlSeconds: 0 }
      req:
        type: function
        function: "${fn}#handler"
        eventType: REQUEST
        identitySource: [$request.header.X-Token, $request.querystring.tenant]
      web:
        type: http
        url: ${authHttp.url}/check
        forwardHeaders: [x-client]
        forwardResponseHeaders: [x-auth-user]
        resultTtlSeconds: 60
    routes:
      - { route: "GET /pets/{id}", authorizer: tok, integration: { type: http_proxy, uri: "${up.url}/pets/{id}" } }
      - { route: "GET /other", authorizer: tok, integration: { type: http_proxy, uri: "${up.url}/other" } }
      - { route: "GET /nc", authorizer: nocache, integration: { type: http_proxy, uri: "${up.url}/nc" } }
      - { route: "GET /cb", authorizer: cb, integration: { type: mock, body: cb } }
      - { route: "GET /req/{id}", authorizer: req, integration: { type: http_proxy, uri: "${up.url}/req" } }
      - { route: "GET /h", authorizer: web, integration: { type: http_proxy, uri: "${up.url}/h" } }
`,
      { clock },
    );
  });
  after(async () => {
    await gw.close();
    await up.close();
    await authHttp.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('TOKEN: the event is {type, authorizationToken, methodArn}; Allow admits; context goes upstream as headers', async () => {
    const r = await get('/prod/pets/7', { authorization: 'allow' });
    assert.equal(r.status, 200);
    assert.deepEqual(lastEvent(), { type: 'TOKEN', authorizationToken: 'allow', methodArn: `${ARN}/GET/pets/7` });
    const h = up.requests.at(-1)!.headers;
    assert.equal(h['x-authorizer-userid'], 'u1');
    assert.equal(h['x-authorizer-n'], '42');
    assert.equal(h['x-authorizer-ok'], 'true');
    assert.equal(h['x-authorizer-bad'], 'ax-evil: 1');
    assert.equal(h['x-evil'], undefined);
  });

  test('result cache: same token is not re-invoked within the TTL; after it, it is (injected clock)', async () => {
    const n = calls();
    assert.equal((await get('/prod/pets/7', { authorization: 'allow' })).status, 200);
    assert.equal((await get('/prod/pets/7', { authorization: 'allow' })).status, 200);
    assert.equal(calls(), n);
    clock.advance(300_000);
    assert.equal((await get('/prod/pets/7', { authorization: 'allow' })).status, 200);
    assert.equal(calls(), n + 1);
  });

  test("a cached policy is evaluated against the new method ARN (AWS's cache behaviour)", async () => {
    const r = await get('/prod/other', { authorization: 'allow' }); // cached policy allows only GET/pets/7
    assert.equal(r.status, 403);
    assert.equal(r.body, NOT_ALLOWED);
    assert.equal(r.headers['x-amzn-errortype'], 'AccessDeniedException');
  });

  test('Resource wildcards: * and ?', async () => {
    assert.equal((await get('/prod/pets/1', { authorization: 'wild' })).status, 200);
    assert.equal((await get('/prod/other', { authorization: 'wild' })).status, 200);
    assert.equal((await get('/prod/pets/12', { authorization: 'wild' })).status, 403);
  });

  test('explicit Deny wins → 403 with the capital-M body', async () => {
    const r = await get('/prod/pets/1', { authorization: 'deny' });
    assert.equal(r.status, 403);
    assert.equal(r.body, DENY);
    assert.equal(r.headers['x-amzn-errortype'], 'AccessDeniedException');
    assert.equal(r.headers['content-type'], 'application/json');
  });

  test('"Unauthorized" thrown → 401; missing or invalid token → 401 without invoking', async () => {
    const r = await get('/prod/pets/1', { authorization: 'unauthorized' });
    assert.equal(r.status, 401);
    assert.equal(r.body, '{"message":"Unauthorized"}');
    assert.equal(r.headers['x-amzn-errortype'], 'UnauthorizedException');
    const n = calls();
    assert.equal((await get('/prod/pets/1')).status, 401);
    assert.equal((await get('/prod/pets/1', { authorization: 'NOT VALID!' })).status, 401);
    assert.equal(calls(), n);
  });

  test('failures → 500 {"message": null}: thrown error, invalid output, non-scalar context, timeout', async () => {
    for (const token of ['boom', 'bad', 'nested']) {
      const r = await get('/prod/pets/1', { authorization: token });
      assert.equal(r.status, 500, token);
      assert.equal(r.body, '{"message": null}');
      assert.equal(r.headers['x-amzn-errortype'], 'AuthorizerConfigurationException');
    }
    const r = await get('/prod/nc', { authorization: 'hang' });
    assert.equal(r.status, 500);
    assert.equal(r.body, '{"message": null}');
  });

  test('simple responses: isAuthorized true admits with context, false → 403 {"message":"Forbidden"}', async () => {
    const ok = await get('/prod/nc', { authorization: 'simple-yes' });
    assert.equal(ok.status, 200);
    assert.equal(up.requests.at(-1)!.headers['x-authorizer-tenant'], 't1');
    const no = await get('/prod/nc', { authorization: 'simple-no' });
    assert.equal(no.status, 403);
    assert.equal(no.body, '{"message":"Forbidden"}');
  });

  test('callback-style handlers', async () => {
    assert.equal((await get('/prod/cb', { authorization: 'yes' })).body, 'cb');
    assert.equal((await get('/prod/cb', { authorization: 'no' })).status, 401);
  });

  test("REQUEST: the event has exactly AWS's fields; every identity source is required", async () => {
    const r = await get('/prod/req/a%20b?tenant=t1&x=1&x=2', { 'X-Token': 'simple-yes', 'user-agent': 'ua' });
    assert.equal(r.status, 200);
    const e = lastEvent()!;
    assert.deepEqual(Object.keys(e).sort(), [
      'headers',
      'httpMethod',
      'methodArn',
      'path',
      'pathParameters',
      'queryStringParameters',
      'requestContext',
      'resource',
      'stageVariables',
      'type',
    ]);
    assert.equal(e.type, 'REQUEST');
    assert.equal(e.methodArn, `${ARN}/GET/req/a%20b`);
    assert.equal(e.resource, '/req/{id}');
    assert.equal(e.path, '/req/a%20b');
    assert.equal(e.httpMethod, 'GET');
    assert.equal((e.headers as Record<string, string>)['X-Token'], 'simple-yes');
    assert.deepEqual(e.queryStringParameters, { tenant: 't1', x: '2' });
    assert.deepEqual(e.pathParameters, { id: 'a b' });
    assert.deepEqual(e.stageVariables, { v: '1' });
    const rc = e.requestContext as Record<string, unknown>;
    assert.equal(rc.stage, 'prod');
    assert.equal(rc.resourcePath, '/req/{id}');
    assert.deepEqual(rc.identity, { sourceIp: '127.0.0.1', userAgent: 'ua' });
    const n = calls();
    assert.equal((await get('/prod/req/1', { 'X-Token': 'simple-yes' })).status, 401);
    assert.equal(calls(), n);
    // the cache key is every identity source: same token, other tenant → invoked again
    await get('/prod/req/1?tenant=t2', { 'X-Token': 'simple-yes' });
    assert.equal(calls(), n + 1);
    await get('/prod/req/2?tenant=t2', { 'X-Token': 'simple-yes' });
    assert.equal(calls(), n + 1);
  });

  test('HTTP authorizer: 2xx admits (response headers and JSON context forwarded), 401/403/5xx, cached', async () => {
    const r = await get('/prod/h?q=1', { authorization: 'ok', 'x-client': 'c1' });
    assert.equal(r.status, 200);
    const seenByAuth = authHttp.requests.at(-1)!;
    assert.equal(seenByAuth.headers['x-client'], 'c1');
    assert.equal(seenByAuth.headers['x-forwarded-method'], 'GET');
    assert.equal(seenByAuth.headers['x-forwarded-uri'], '/prod/h?q=1');
    const h = up.requests.at(-1)!.headers;
    assert.equal(h['x-auth-user'], 'h1');
    assert.equal(h['x-other'], undefined);
    assert.equal(h['x-authorizer-plan'], 'gold');
    const n = authHttp.requests.length;
    assert.equal((await get('/prod/h', { authorization: 'ok' })).status, 200);
    assert.equal(authHttp.requests.length, n);
    assert.equal((await get('/prod/h', { authorization: 'plain' })).status, 200);
    const u = await get('/prod/h', { authorization: 'nope' });
    assert.deepEqual([u.status, u.body], [401, '{"message":"Unauthorized"}']);
    const f = await get('/prod/h', { authorization: 'forbidden' });
    assert.deepEqual([f.status, f.body], [403, DENY]);
    const e = await get('/prod/h', { authorization: 'error' });
    assert.deepEqual([e.status, e.body], [500, '{"message": null}']);
    assert.equal((await get('/prod/h')).status, 401);
  });
});

describe('authorizer config errors', () => {
  test('unknown authorizer, unreadable module, scopes on a non-JWT authorizer, JWT key source: reported with paths', async () => {
    await assert.rejects(
      startTestGateway(`
version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    authorizers:
      f: { type: function, function: ./missing.js#handler }
      j: { type: jwt, issuer: https://i.example, audiences: [x] }
    routes:
      - { route: GET /x, authorizer: nope, integration: { type: mock } }
      - { route: GET /y, authorizer: f, authorizationScopes: [s], integration: { type: mock } }
`),
      (err: Error) => {
        assert.match(err.message, /apis\[0\]\.authorizers\.f\.function: cannot read the function module .*missing\.js/);
        assert.match(
          err.message,
          /apis\[0\]\.authorizers\.j: a jwt authorizer needs exactly one of "jwksUri", "discovery: true" or "secret"/,
        );
        assert.match(err.message, /apis\[0\]\.routes\[0\]\.authorizer: unknown authorizer "nope"; defined: f, j/);
        assert.match(
          err.message,
          /apis\[0\]\.routes\[1\]\.authorizationScopes: authorizationScopes apply to jwt authorizers/,
        );
        return true;
      },
    );
  });
});
