import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { startGateway } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { startUpstream } from '../helpers/gateway.js';
import { corpus } from './import-helpers.js';

/**
 * `portico import … --out cfg.yaml`, then a real gateway on that file: Lambda routes reach local
 * handlers with the event AWS would send, mapped parameters reach the upstream, VPC links lead to it.
 */

const { dir: CFN } = corpus('cloudformation');
const { dir: OAS } = corpus('openapi');
const REST_PROXY = join(
  CFN,
  'awsdocs_amazon-api-gateway-developer-guide__cloudformation-templates__REST__rest-lambda-proxy.yaml',
);
const CALC = join(
  OAS,
  'awsdocs_amazon-api-gateway-developer-guide__doc_source__api-as-lambda-proxy-export-swagger-with-extensions__codeblock0.json',
);
const P8 = join(CFN, 'javatask_aws-spa-beginners-guide__p8_serverless__template.yml');
const MAPPING = join(
  CFN,
  'awsdocs_amazon-api-gateway-developer-guide__cloudformation-templates__HTTP__http-api-parameter-mapping.yaml',
);
const USAGE_PLANS = join(CFN, 'aws_serverless-application-model__tests__translator__input__api_with_usageplans.yaml');
const FARGATE = join(
  CFN,
  'aws-samples_http-api-aws-fargate-cdk__SYNTHESIZED-by-us__cdk-singleAccount__HttpApiStack.template.json',
);
const BOOKS = fixture(
  'corpus',
  'backends',
  'aws-samples_http-api-aws-fargate-cdk__captured__GET_api_books.response.json',
);

/** Echoes what the function saw: the event's version and a few fields of either format. */
const ECHO = `export async function handler(event, context) {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-fn': context.functionName },
    body: JSON.stringify({
      version: event.version ?? null,
      httpMethod: event.httpMethod ?? null,
      resource: event.resource ?? null,
      path: event.path ?? null,
      routeKey: event.routeKey ?? null,
      rawPath: event.rawPath ?? null,
      stage: event.requestContext.stage,
      query: event.queryStringParameters,
      pathParameters: event.pathParameters ?? null,
    }),
  };
}
`;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-e2e-fn-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Imports with the CLI into dir/portico.yaml and starts a gateway on it. */
async function importAndStart(
  t: TestContext,
  dir: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ url: string; stderr: string; yaml: string; generatedKey: (id: string) => Promise<string> }> {
  const out = join(dir, 'portico.yaml');
  const r = runCli(['import', ...args, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const gw = await startGateway({
    configPath: out,
    listen: '127.0.0.1:0',
    adminListen: '127.0.0.1:0',
    dataDir: join(dir, 'data'),
    watch: false,
    logLevel: 'silent',
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  t.after(() => gw.close());
  // A key the template gave no Value: the gateway generated it; the admin API shows it once.
  const generatedKey = async (id: string) => {
    const res = await fetch(new URL(`/keys/${id}`, gw.adminUrl), {
      headers: { authorization: `Bearer ${gw.adminToken}` },
    });
    return ((await res.json()) as { value: string }).value;
  };
  return { url: gw.url, stderr: r.stderr, yaml: readFileSync(out, 'utf8'), generatedKey };
}

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('imported Lambda routes run local handlers', () => {
  test('REST rest-lambda-proxy.yaml with --function: GET / on stage test gets a v1 event', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'echo.mjs'), ECHO);
    const { url, stderr } = await importAndStart(t, dir, [
      'cloudformation',
      REST_PROXY,
      '--function',
      `MyLambdaFunction=${join(dir, 'echo.mjs')}#handler`,
    ]);
    assert.match(stderr, /everything was mapped/);
    const r = await getJson(`${url}/test/?a=1`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-fn'), 'MyLambdaFunction');
    assert.deepEqual(r.body, {
      version: null,
      httpMethod: 'GET',
      resource: '/',
      path: '/',
      routeKey: null,
      rawPath: null,
      stage: 'test',
      query: { a: '1' },
      pathParameters: null,
    });
  });

  test('the LambdaCalc Swagger export (type aws → function) with --function Calc: query and path parameters reach the handler', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'calc.mjs'), ECHO);
    const { url, stderr } = await importAndStart(t, dir, [
      'openapi',
      CALC,
      '--function',
      `Calc=${join(dir, 'calc.mjs')}#handler`,
    ]);
    assert.match(stderr, /approximated .*integration type aws \(Lambda\)/);
    const q = await getJson(`${url}/test/prod/calc?operand1=1&operand2=2&operator=add`);
    assert.equal(q.status, 200);
    assert.deepEqual(
      [q.body.httpMethod, q.body.resource, q.body.stage, q.body.query],
      ['GET', '/calc', 'prod', { operand1: '1', operand2: '2', operator: 'add' }],
    );
    const p = await getJson(`${url}/test/prod/calc/3/4/mul`);
    assert.deepEqual(
      [p.body.resource, p.body.pathParameters],
      ['/calc/{operand1}/{operand2}/{operator}', { operand1: '3', operand2: '4', operator: 'mul' }],
    );
    const post = await getJson(`${url}/test/prod/calc`, { method: 'POST', body: '{"a":1}' });
    assert.equal(post.body.httpMethod, 'POST');
  });

  test('SAM p8 (HttpApi event, java runtime) with --function: the $default route gets a v2 event', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'greet.mjs'), ECHO);
    const { url, yaml } = await importAndStart(t, dir, [
      'cloudformation',
      P8,
      '--function',
      `MyRestApiFunction=${join(dir, 'greet.mjs')}#handler`,
    ]);
    assert.match(yaml, /timeoutMs: 20000/);
    assert.match(yaml, /memoryMB: 512/);
    const r = await getJson(`${url}/api/greeting?name=x`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      version: '2.0',
      httpMethod: null,
      resource: null,
      path: null,
      routeKey: '$default',
      rawPath: '/api/greeting',
      stage: '$default',
      query: { name: 'x' },
      pathParameters: null,
    });
  });

  test('a SAM app (CodeUri + Handler, Api and HttpApi events): handlers found next to the template, no --function', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'hello-world'));
    // CommonJS, as `sam init` writes it.
    await writeFile(
      join(dir, 'hello-world', 'app.js'),
      ECHO.replace('export async function handler', 'exports.lambdaHandler = async function'),
    );
    await writeFile(
      join(dir, 'template.yaml'),
      `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: { Timeout: 3 }
Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello-world/
      Handler: app.lambdaHandler
      Runtime: nodejs20.x
      Events:
        HelloWorld: { Type: Api, Properties: { Path: "/hello/{name}", Method: get } }
        HelloHttp: { Type: HttpApi, Properties: { Path: /hi, Method: get } }
`,
    );
    const { url, yaml } = await importAndStart(t, dir, ['cloudformation', join(dir, 'template.yaml')]);
    assert.match(yaml, /handler: \.\/hello-world\/app\.js#lambdaHandler/);
    const rest = await getJson(`${url}/Prod/hello/ann`);
    assert.equal(rest.status, 200);
    assert.deepEqual(
      [rest.body.version, rest.body.resource, rest.body.stage, rest.body.pathParameters],
      [null, '/hello/{name}', 'Prod', { name: 'ann' }],
    );
    assert.equal(rest.headers.get('x-fn'), 'HelloWorldFunction');
    // The implicit HTTP API serves $default at the root; the REST API's Prod stage is its own mount.
    const http = await getJson(`${url}/hi`);
    assert.deepEqual([http.body.version, http.body.routeKey, http.body.stage], ['2.0', 'GET /hi', '$default']);
  });

  test("SAM InlineCode (api_with_usageplans) is saved next to the config and runs as the route's function; Auth.ApiKeyRequired and UsagePlan hold", async (t) => {
    const dir = await tempDir(t);
    // The template's keys have no Value: as AWS does, the gateway generates them (issue #20).
    const { url, stderr, generatedKey } = await importAndStart(t, dir, ['cloudformation', USAGE_PLANS]);
    const two = await generatedKey('cfg-MyApiTwoApiKey');
    const shared = await generatedKey('cfg-ServerlessApiKey');
    assert.match(
      stderr,
      /approximated \/Resources\/MyFunctionOne\/Properties\/InlineCode {2}inline code: saved as \.\/functions\/MyFunctionOne\/index\.cjs/,
    );
    assert.match(
      readFileSync(join(dir, 'functions', 'MyFunctionOne', 'index.cjs'), 'utf8'),
      /exports\.handler = async \(event\)/,
    );
    // Globals.Api.Auth.ApiKeyRequired: every method needs a key; MyApiOne has no plan (CreateUsagePlan: NONE), so none works there.
    assert.equal((await getJson(`${url}/Prod/path/one?x=1`)).status, 403);
    assert.equal((await getJson(`${url}/Prod/path/one`, { headers: { 'x-api-key': two } })).status, 403);
    // MyApiTwo (PER_API plan SomeRandomName, its key) runs the inline handler, which answers with the whole v1 event.
    const ok = await getJson(`${url}/MyApiTwo/Prod/path/two?x=1`, { headers: { 'x-api-key': two } });
    assert.equal(ok.status, 200);
    assert.deepEqual(
      [ok.body.resource, ok.body.httpMethod, (ok.body.requestContext as { stage: string }).stage],
      ['/path/two', 'GET', 'Prod'],
    );
    assert.equal((await getJson(`${url}/MyApiTwo/Prod/path/two`)).status, 403);
    // The SHARED plan's key works on MyApiThree, not on MyApiTwo.
    assert.equal(
      (await getJson(`${url}/MyApiThree/Prod/path/three`, { headers: { 'x-api-key': shared } })).status,
      200,
    );
    assert.equal((await getJson(`${url}/MyApiTwo/Prod/path/two`, { headers: { 'x-api-key': shared } })).status, 403);
  });

  test('--code-root: the code lives elsewhere than the template', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'build', 'src'), { recursive: true });
    await writeFile(join(dir, 'build', 'src', 'index.mjs'), ECHO);
    await writeFile(
      join(dir, 'template.yaml'),
      `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: src, Handler: index.handler, Runtime: nodejs20.x, Events: { Any: { Type: HttpApi } } }
`,
    );
    const without = runCli(['import', 'cloudformation', join(dir, 'template.yaml')]);
    assert.match(
      without.stderr,
      /Lambda function Fn: a Lambda can't run here \(no index\.js\/\.mjs\/\.cjs in src under the code root\)/,
    );
    const { url } = await importAndStart(t, dir, [
      'cloudformation',
      join(dir, 'template.yaml'),
      '--code-root',
      join(dir, 'build'),
    ]);
    const r = await getJson(`${url}/anything`);
    assert.deepEqual([r.body.version, r.body.routeKey, r.body.rawPath], ['2.0', '$default', '/anything']);
  });
});

describe('imported HTTP integrations', () => {
  test('http-api-parameter-mapping.yaml: the upstream gets header1 = the request id', async (t) => {
    const dir = await tempDir(t);
    const up = await startUpstream();
    t.after(() => up.close());
    // The template's backend is AWS's petstore; point it at the test upstream (same path).
    const text = readFileSync(MAPPING, 'utf8').replace('http://petstore.execute-api.us-west-1.amazonaws.com', up.url);
    await writeFile(join(dir, 'template.yaml'), text);
    const { url, stderr } = await importAndStart(t, dir, ['cloudformation', join(dir, 'template.yaml')]);
    assert.match(stderr, /unsupported {2}\/Resources\/Integration\/Properties\/ResponseParameters/);
    const res = await fetch(`${url}/anything?x=1`, { headers: { header1: 'from-client' } });
    assert.equal(res.status, 200);
    const seen = up.requests[0]!;
    assert.equal(seen.url, '/petstore/pets?x=1');
    const requestId = res.headers.get('x-amzn-requestid') ?? res.headers.get('apigw-requestid');
    assert.ok(requestId);
    // append: the client's value, then the mapped one.
    assert.equal(seen.headers.header1, `from-client, ${requestId}`);
  });

  test('the synthesized fargate HttpApiStack with --vpc-link: GET /api/books reaches the book service', async (t) => {
    const dir = await tempDir(t);
    const books = readFileSync(BOOKS, 'utf8');
    const up = await startUpstream((req, res) => {
      if (req.url === '/api/books') res.writeHead(200, { 'content-type': 'application/json' }).end(books);
      else res.writeHead(404).end();
    });
    t.after(() => up.close());
    const { url } = await importAndStart(t, dir, [
      'cloudformation',
      FARGATE,
      '--param',
      'FargateVpclinkStack:ExportsOutputRefHttpVpcLinkFC7CBBA9=vpclink-1',
      '--param',
      'FargateVpclinkStack:ExportsOutputRefhttpapiInternalALBhttpapiListenerC81CC029C8BB2733=arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/1/2',
      '--vpc-link',
      `vpclink-1=${up.url}`,
    ]);
    const res = await fetch(`${url}/api/books`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), JSON.parse(books));
    assert.equal(up.requests[0]!.url, '/api/books');
  });
});
