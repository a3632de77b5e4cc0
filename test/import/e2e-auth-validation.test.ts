import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type JWTPayload, SignJWT } from 'jose';
import { startGateway } from '../../src/index.js';
import { type JwksServer, makeKey, type SigningKey, startJwksServer } from '../access/access-helpers.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { startUpstream, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { corpus } from './import-helpers.js';

/**
 * AWS definitions imported with `portico import … --out cfg.yaml` and served by a gateway started from that
 * file: request validation answers with AWS's recorded 400s, Cognito/JWT authorizers check tokens from a
 * local JWKS (--jwks), a Lambda TOKEN authorizer runs as a local function (--authorizer-function), and an
 * HTTP API's CORS configuration answers preflights.
 */

const { dir: OPENAPI } = corpus('openapi');
const { dir: CFN } = corpus('cloudformation');
const RECORDED = fixture(
  'corpus',
  'aws-recorded',
  'localstack_localstack__tests__aws__services__apigateway__test_apigateway_common.snapshot.json',
);
const UNAUTHORIZED = { message: 'Unauthorized' };

const openapi = (f: string) => join(OPENAPI, f);
const cfn = (f: string) => join(CFN, f);

interface Served {
  port: number;
  dir: string;
}

/** Imports FILE (a copy with `replace` applied) with the CLI into DIR/portico.yaml and starts a gateway from that file. */
async function importAndStart(
  t: { after(fn: () => Promise<void>): void },
  format: 'openapi' | 'cloudformation',
  file: string,
  args: (dir: string) => string[],
  replace: [string | RegExp, string][] = [],
): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-import-auth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let text = readFileSync(file, 'utf8');
  for (const [a, b] of replace) text = text.replaceAll(a, b);
  const src = join(dir, `source${file.slice(file.lastIndexOf('.'))}`);
  await writeFile(src, text);
  const out = join(dir, 'portico.yaml');
  const r = runCli(['import', format, src, '--out', out, ...args(dir)]);
  assert.equal(r.code, 0, r.stderr);
  const gw = await startGateway({
    configPath: out,
    listen: '127.0.0.1:0',
    adminListen: '127.0.0.1:0',
    watch: false,
    logLevel: 'silent',
    dataDir: join(dir, 'data'),
  });
  t.after(() => gw.close());
  return { port: Number(new URL(gw.url).port), dir };
}

function recorded(): Record<string, { message: string }> {
  const snap = JSON.parse(readFileSync(RECORDED, 'utf8')) as Record<
    string,
    { 'recorded-content': Record<string, { message: string }> }
  >;
  return snap[
    'tests/aws/services/apigateway/test_apigateway_common.py::TestApiGatewayCommon::test_api_gateway_request_validator'
  ]!['recorded-content'];
}

describe('imported request validation answers as AWS', () => {
  const file = openapi(
    'awsdocs_amazon-api-gateway-developer-guide__doc_source__api-gateway-request-validation-sample-api-swagger__codeblock0.json',
  );
  let up: TestUpstream;
  before(async () => {
    up = await startUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ url: req.url, body: Buffer.concat(chunks).toString() })),
      );
    });
  });
  after(() => up.close());

  test('the request validation sample: missing parameters and an invalid body get the recorded 400s; valid requests pass', async (t) => {
    const aws = recorded();
    const { port } = await importAndStart(t, 'openapi', file, () => [], [
      ['http://petstore-demo-endpoint.execute-api.com', up.url],
    ]);
    // The recorded message lists other names; the sentence around them is AWS's.
    const missing = (names: string) => ({
      message: aws['missing-required-qs-request-params-get']!.message.replace(/\[.*\]$/, `[${names}]`),
    });
    assert.deepEqual(aws['missing-required-qs-request-params-get'], {
      message: 'Missing required request parameters: [qs1]',
    });

    const noQuery = await call(port, 'GET', '/v1/prod/validation');
    assert.equal(noQuery.status, 400);
    assert.deepEqual(JSON.parse(noQuery.body), missing('q1'));
    assert.equal(noQuery.headers['x-amzn-errortype'], 'BadRequestException');
    const get = await call(port, 'GET', '/v1/prod/validation?q1=cat');
    assert.equal(get.status, 200);
    // requestParameters integration.request.querystring.type ← method.request.querystring.q1 is mapped; the
    // non-proxy `http` integration runs as http_proxy (reported), so the client's query is forwarded too.
    assert.equal(JSON.parse(get.body).url, '/petstore/pets?q1=cat&type=cat');

    const json = { 'content-type': 'application/json' };
    const noHeader = await call(port, 'POST', '/v1/prod/validation', json, '{"type":"dog","name":"rex","price":30}');
    assert.equal(noHeader.status, 400);
    assert.deepEqual(JSON.parse(noHeader.body), missing('h1'));
    for (const bad of [
      '{"type":"cow","name":"rex","price":30}',
      '{"type":"dog","name":"rex","price":5}',
      '{"name":"rex"}',
      'not json',
      '',
    ]) {
      const r = await call(port, 'POST', '/v1/prod/validation', { ...json, h1: 'v' }, bad);
      assert.equal(r.status, 400, bad);
      assert.deepEqual(JSON.parse(r.body), aws['invalid-request-body'], bad);
    }
    const ok = await call(
      port,
      'POST',
      '/v1/prod/validation',
      { ...json, h1: 'v' },
      '{"type":"dog","name":"rex","price":30}',
    );
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(JSON.parse(ok.body).body), { type: 'dog', name: 'rex', price: 30 });
  });
});

describe('imported JWT authorizers check tokens against a local JWKS', () => {
  let key: SigningKey;
  let other: SigningKey;
  let jwks: JwksServer;
  let up: TestUpstream;
  before(async () => {
    [key, other] = await Promise.all([makeKey('RS256', 'k1'), makeKey('RS256', 'k2')]);
    jwks = await startJwksServer([key]);
    up = await startUpstream();
  });
  after(async () => {
    await jwks.close();
    await up.close();
  });
  const sign = (claims: JWTPayload, k = key) =>
    new SignJWT({
      sub: 'user-1',
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 600,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: k.kid })
      .sign(k.privateKey);

  const POOL = 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Test1';
  const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test1';

  test('OpenAPI Cognito user pool authorizer (openapi.cognito-auth.json): any app client of the pool, scopes per operation', async (t) => {
    const { port } = await importAndStart(
      t,
      'openapi',
      openapi('localstack_localstack__tests__aws__files__openapi.cognito-auth.json'),
      () => ['--param', `cognito_pool_arn=${POOL}`, '--jwks', `eu-west-1_Test1=${jwks.jwksUri}`],
      [['http://petstore-demo-endpoint.execute-api.com', up.url]],
    );
    const idToken = await sign({ iss: ISSUER, aud: 'some-app-client', token_use: 'id' });
    const ok = await call(port, 'GET', '/default-no-scope', { TestHeaderAuth: idToken });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).url, '/petstore/pets');
    const refused: Record<string, string>[] = [
      {},
      { TestHeaderAuth: await sign({ iss: ISSUER }, other) },
      { TestHeaderAuth: await sign({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }) },
      { Authorization: idToken },
    ];
    for (const headers of refused) {
      const r = await call(port, 'GET', '/default-no-scope', headers);
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.body), UNAUTHORIZED);
    }
    // authorizationScopes: the operation's ["openid"].
    assert.equal((await call(port, 'GET', '/default-scope-override', { TestHeaderAuth: idToken })).status, 403);
    const access = await sign({ iss: ISSUER, client_id: 'app', scope: 'openid profile', token_use: 'access' });
    assert.equal((await call(port, 'GET', '/default-scope-override', { TestHeaderAuth: access })).status, 200);
  });

  test('CloudFormation COGNITO_USER_POOLS authorizer (the SPA tutorial backend): a REST API behind the pool', async (t) => {
    const { port } = await importAndStart(
      t,
      'cloudformation',
      cfn('javatask_aws-spa-beginners-guide__p5_connecting_dots__backend.yaml'),
      () => [
        '--param',
        `CognitoPoolArn=${POOL}`,
        '--resource',
        'EC2Instance.PublicDnsName=127.0.0.1',
        '--jwks',
        `ApiGatewayAuthorizer=${jwks.jwksUri}`,
      ],
      [[':8080/{proxy}', `:${up.port}/{proxy}`]],
    );
    // Cognito sends the raw token in Authorization.
    const ok = await call(port, 'GET', '/production/api/greeting', {
      Authorization: await sign({ iss: ISSUER, aud: 'spa-client' }),
    });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).url, '/api/greeting');
    const none = await call(port, 'GET', '/production/api/greeting');
    assert.equal(none.status, 401);
    assert.deepEqual(JSON.parse(none.body), UNAUTHORIZED);
    assert.equal(none.headers['x-amzn-errortype'], 'UnauthorizedException');
    const expired = await call(port, 'GET', '/production/api/greeting', {
      Authorization: await sign({ iss: ISSUER, exp: Math.floor(Date.now() / 1000) - 60 }),
    });
    assert.equal(expired.status, 401);
    assert.deepEqual(JSON.parse(expired.body), UNAUTHORIZED);
  });

  test('CloudFormation HTTP API JWT authorizer (http-with-jwt-auth.yaml): token in ?access_token, audience = the app client', async (t) => {
    // The quick-create target is a Lambda; --resource points it at our upstream instead.
    const { port } = await importAndStart(
      t,
      'cloudformation',
      cfn('awsdocs_amazon-api-gateway-developer-guide__cloudformation-templates__HTTP__http-with-jwt-auth.yaml'),
      () => ['--resource', `MyLambdaFunction.Arn=${up.url}/`, '--jwks', `test-jwt-authorizer=${jwks.jwksUri}`],
    );
    const iss = 'https://cognito-idp.us-east-1.amazonaws.com/UserPool';
    const ok = await call(
      port,
      'GET',
      `/hello?access_token=${await sign({ iss, client_id: 'AppClient', scope: 'email' })}`,
    );
    assert.equal(ok.status, 200);
    // The quick-create integration is the target URL itself (no {proxy}): the query string is passed on.
    assert.match(JSON.parse(ok.body).url, /^\/\?access_token=/);
    for (const path of [
      '/hello',
      `/hello?access_token=${await sign({ iss, client_id: 'other-client' })}`,
      `/hello?access_token=${await sign({ iss, aud: 'AppClient' }, other)}`,
    ]) {
      const r = await call(port, 'GET', path);
      assert.equal(r.status, 401, path);
      assert.deepEqual(JSON.parse(r.body), UNAUTHORIZED);
    }
  });
});

describe('an imported Lambda TOKEN authorizer runs as a local function', () => {
  const file = openapi('localstack_localstack__tests__aws__files__petstore-authorizer.swagger.json');
  test('petstore-authorizer.swagger.json with --authorizer-function: allow, explicit deny, Unauthorized, the validation expression', async (t) => {
    const up = await startUpstream();
    t.after(() => up.close());
    const fnDir = await mkdtemp(join(tmpdir(), 'portico-authfn-'));
    t.after(() => rm(fnDir, { recursive: true, force: true }));
    const fn = join(fnDir, 'token.mjs');
    await writeFile(
      fn,
      `export async function check(event) {
  if (event.type !== 'TOKEN') throw new Error('wrong event');
  if (event.authorizationToken === 'x-deny') return { principalId: 'u', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }] } };
  if (event.authorizationToken !== 'x-allow') throw new Error('Unauthorized');
  return { principalId: 'user-7', context: { tier: 'gold' }, policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] } };
}
`,
    );
    // The CLI runs from the repository root: the path is given from there and rewritten relative to --out.
    const { port, dir } = await importAndStart(t, 'openapi', file, () => [
      '--param',
      `uri=${up.url}/petstore`,
      '--authorizer-function',
      `test-authorizer=${relative(ROOT, fn)}#check`,
    ]);
    assert.match(
      readFileSync(join(dir, 'portico.yaml'), 'utf8'),
      new RegExp(`function: \\.\\./${fnDir.split('/').pop()}/token\\.mjs#check`),
    );
    const ok = await call(port, 'GET', '/prod/pets', { Authorization: 'x-allow' });
    assert.equal(ok.status, 200);
    const seen = JSON.parse(ok.body) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/petstore');
    assert.equal(seen.headers['x-authorizer-tier'], 'gold');
    assert.equal((await call(port, 'GET', '/prod', { Authorization: 'x-allow' })).status, 200);
    const deny = await call(port, 'GET', '/prod/pets', { Authorization: 'x-deny' });
    assert.equal(deny.status, 403);
    assert.deepEqual(JSON.parse(deny.body), {
      Message: 'User is not authorized to access this resource with an explicit deny',
    });
    const refused: Record<string, string>[] = [
      {},
      { Authorization: 'x-other' },
      { Authorization: 'fails-the-expression' },
    ];
    for (const headers of refused) {
      const r = await call(port, 'GET', '/prod/pets', headers);
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.body), UNAUTHORIZED);
    }
    // The routes without security stay open.
    assert.equal((await call(port, 'GET', '/prod/pets/1')).status, 200);
  });

  test('usage errors: --authorizer-function and --jwks values', () => {
    const bad = runCli(['import', 'openapi', 'x.json', '--authorizer-function', 'a=./f.js#not-an-export']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--authorizer-function a= expects FILE\.js#export, got "\.\/f\.js#not-an-export"/);
    const jwks = runCli(['import', 'cloudformation', 'x.yaml', '--jwks', 'a=file:///etc/keys']);
    assert.equal(jwks.code, 2);
    assert.match(jwks.stderr, /--jwks a= expects an http\(s\) URL, got "file:\/\/\/etc\/keys"/);
  });
});

describe('imported CORS answers preflights as configured', () => {
  const file = cfn('awsdocs_amazon-api-gateway-developer-guide__cloudformation-templates__HTTP__http-with-cors.yaml');
  test('http-with-cors.yaml: CorsConfiguration → preflight and actual responses', async (t) => {
    const up = await startUpstream((_req, res) =>
      res.writeHead(200, { 'access-control-allow-origin': '*', 'x-api-id': '7' }).end('hi'),
    );
    t.after(() => up.close());
    const { port } = await importAndStart(t, 'cloudformation', file, () => [
      '--resource',
      `MyLambdaFunction.Arn=${up.url}/`,
    ]);
    const pre = await call(port, 'OPTIONS', '/anything', {
      Origin: 'https://www.example.com',
      'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'authorization',
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://www.example.com');
    assert.deepEqual(String(pre.headers['access-control-allow-methods']).split(/,\s*/), ['OPTIONS', 'GET', 'PUT']);
    assert.equal(String(pre.headers['access-control-allow-headers']).toLowerCase(), 'authorization');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.equal(pre.headers['access-control-max-age'], '300');
    assert.equal(up.requests.length, 0, 'the gateway answers the preflight itself');
    const stranger = await call(port, 'OPTIONS', '/anything', {
      Origin: 'https://evil.example',
      'Access-Control-Request-Method': 'GET',
    });
    assert.equal(stranger.status, 204);
    assert.equal(stranger.headers['access-control-allow-origin'], undefined);
    const actual = await call(port, 'GET', '/anything', { Origin: 'https://localhost:8080' });
    assert.equal(actual.status, 200);
    assert.equal(actual.headers['access-control-allow-origin'], 'https://localhost:8080');
    assert.deepEqual(String(actual.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/), [
      'date',
      'x-api-id',
    ]);
  });
});
