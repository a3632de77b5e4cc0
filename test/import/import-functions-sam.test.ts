import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { loadConfigText } from '../../src/features.js';
import { parseTemplate } from '../../src/import/cfn-intrinsics.js';
import { importCloudFormation } from '../../src/import/cloudformation.js';
import { exportOpenApi } from '../../src/import/export-openapi.js';
import { importOpenApi } from '../../src/import/openapi.js';
import { runCli } from '../helpers/cli.js';
import { compiles, corpus, resolvePointer } from './import-helpers.js';

type Route = { route: string; integration: Record<string, unknown>; cache?: Record<string, unknown> };
const routesOf = (config: Record<string, unknown>, i = 0) => (config.apis as { routes: Route[] }[])[i]!.routes;
const apiNamed = (config: Record<string, unknown>, name: string) =>
  (config.apis as Record<string, unknown>[]).find((a) => a.name === name)!;

// Handlers the imported configs name (absolute, so they compile from any directory).
const DIR = mkdtempSync(join(tmpdir(), 'portico-fn-import-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
const HANDLER = join(DIR, 'h.mjs');
writeFileSync(HANDLER, 'export async function handler() { return { statusCode: 200, body: "ok" }; }\n');
const REF = `${HANDLER}#handler`;

const LAMBDA_URI =
  'arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:Calc/invocations';
const swagger = (integration: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  swagger: '2.0',
  info: { title: 'calc', version: '1' },
  paths: { '/calc/{id}': { get: { 'x-amazon-apigateway-integration': integration } } },
  ...extra,
});

describe('aws_proxy → function integrations (OpenAPI)', () => {
  test('a Lambda ARN is mapped by its function name or its full ARN; timeoutInMillis becomes timeoutMs', async () => {
    const integ = { type: 'aws_proxy', httpMethod: 'POST', uri: LAMBDA_URI, timeoutInMillis: 5000 };
    for (const key of ['Calc', 'arn:aws:lambda:us-west-2:123456789012:function:Calc']) {
      const { config, report } = importOpenApi(swagger(integ), { functions: { [key]: REF } });
      assert.deepEqual(routesOf(config), [
        {
          route: 'GET /calc/{id}',
          integration: { type: 'function', handler: REF, functionName: 'Calc', timeoutMs: 5000 },
        },
      ]);
      assert.deepEqual(report.notes, []);
      await compiles(config);
    }
  });

  test('an unmapped Lambda leaves the route out and says which --function to pass; an unused --function is reported', () => {
    const { config, report } = importOpenApi(swagger({ type: 'aws_proxy', uri: LAMBDA_URI }), {
      functions: { Calk: REF },
    });
    assert.deepEqual(routesOf(config), []);
    const text = report.format();
    assert.match(
      text,
      /unsupported {2}\/paths\/~1calc~1\{id\}\/get\/x-amazon-apigateway-integration {2}Lambda function Calc: a Lambda can't run here: pass --function Calc=\.\/FILE\.js#EXPORT; route left out/,
    );
    assert.match(text, /--function Calk: matches no Lambda integration/);
  });

  test('an HTTP API keeps the payload format version; a stage-variable function is reported, a stage-variable alias ignored', () => {
    const doc = {
      openapi: '3.0.1',
      info: { title: 'h', version: '1' },
      paths: {
        '/a': {
          get: {
            'x-amazon-apigateway-integration': { type: 'aws_proxy', uri: LAMBDA_URI, payloadFormatVersion: '1.0' },
          },
        },
        '/b': {
          get: {
            'x-amazon-apigateway-integration': { type: 'aws_proxy', uri: LAMBDA_URI, payloadFormatVersion: '2.0' },
          },
        },
        '/c': {
          get: {
            'x-amazon-apigateway-integration': {
              type: 'aws_proxy',
              uri: 'arn:aws:apigateway:r:lambda:path/2015-03-31/functions/arn:aws:lambda:r:1:function:${stageVariables.fn}/invocations',
            },
          },
        },
        '/d': {
          get: {
            'x-amazon-apigateway-integration': {
              type: 'aws_proxy',
              uri: 'arn:aws:apigateway:r:lambda:path/2015-03-31/functions/arn:aws:lambda:r:1:function:Calc:${stageVariables.alias}/invocations',
            },
          },
        },
      },
    };
    const { config, report } = importOpenApi(doc, { functions: { Calc: REF } });
    assert.equal(apiNamed(config, 'h').type, 'http');
    assert.deepEqual(
      routesOf(config).map((r) => [r.route, r.integration.payloadFormatVersion]),
      [
        ['GET /a', '1.0'],
        ['GET /b', '2.0'],
        ['GET /d', undefined],
      ],
    );
    assert.match(
      report.format(),
      /\/paths\/~1c\/get\/x-amazon-apigateway-integration {2}integration type aws_proxy: .*the function is chosen by a stage variable; route left out/,
    );
    assert.match(
      report.format(),
      /approximated \/paths\/~1d\/get\/x-amazon-apigateway-integration\/uri {2}Lambda alias: the alias \$\{stageVariables\.alias\} is ignored/,
    );
  });

  test('a non-proxy Lambda (type aws) runs as a proxy integration, approximated; its contentHandling is reported', () => {
    const { config, report } = importOpenApi(
      swagger({
        type: 'aws',
        uri: LAMBDA_URI,
        credentials: 'arn:aws:iam::1:role/r',
        contentHandling: 'CONVERT_TO_TEXT',
        requestTemplates: { 'application/json': '{}' },
      }),
      { functions: { Calc: REF } },
    );
    assert.equal(routesOf(config)[0]!.integration.type, 'function');
    const text = report.format();
    assert.match(
      text,
      /approximated \/paths\/~1calc~1\{id\}\/get\/x-amazon-apigateway-integration {2}integration type aws \(Lambda\): run as a proxy integration/,
    );
    assert.match(text, /approximated .*\/credentials {2}credentials: the function runs in the gateway/);
    assert.match(text, /unsupported {2}.*\/contentHandling {2}contentHandling/);
  });
});

describe('requestParameters and cacheKeyParameters', () => {
  test('REST mappings (header, querystring, path, static, context, stage variables) pass into the mapping config; what it cannot run is reported', async () => {
    const requestParameters = {
      'integration.request.header.x-user': 'method.request.header.user',
      'integration.request.header.x-static': "'fixed'",
      'integration.request.header.x-req': 'context.requestId',
      'integration.request.querystring.region': 'stageVariables.region',
      'integration.request.querystring.q': 'method.request.querystring.search',
      'integration.request.querystring.same': 'method.request.querystring.same',
      'integration.request.path.item': 'method.request.path.id',
      'integration.request.header.x-body': 'method.request.body.name',
      'integration.request.header.Host': "'evil'",
    };
    const { config, report } = importOpenApi(
      swagger({ type: 'http_proxy', httpMethod: 'GET', uri: 'http://127.0.0.1:9/items/{item}', requestParameters }),
    );
    assert.deepEqual(routesOf(config)[0]!.integration, {
      type: 'http_proxy',
      uri: 'http://127.0.0.1:9/items/{id}',
      requestParameters: {
        'integration.request.header.x-user': 'method.request.header.user',
        'integration.request.header.x-static': "'fixed'",
        'integration.request.header.x-req': 'context.requestId',
        'integration.request.querystring.region': 'stageVariables.region',
        'integration.request.querystring.q': 'method.request.querystring.search',
      },
    });
    const text = report.format();
    assert.match(
      text,
      /unsupported {2}\/paths\/~1calc~1\{id\}\/get\/x-amazon-apigateway-integration\/requestParameters\/integration\.request\.header\.x-body {2}requestParameters: .*method\.request\.body is not supported/,
    );
    assert.match(
      text,
      /requestParameters\/integration\.request\.header\.Host {2}requestParameters: .*header "Host" is reserved/,
    );
    await compiles(config);
  });

  test('HTTP API mappings (append/overwrite/remove, $request/$context/$stageVariables, overwrite:path)', async () => {
    const requestParameters = {
      'append:header.x-id': '$context.requestId',
      'overwrite:header.x-user': '$request.header.user',
      'remove:header.x-debug': "''",
      'overwrite:querystring.page': '$request.querystring.p',
      'append:querystring.src': 'gw-${stageVariables.region}',
      'overwrite:path': '/v2/$request.path.id',
      'append:header.x-body': '$request.body.name',
    };
    const doc = {
      openapi: '3.0.1',
      info: { title: 'h', version: '1' },
      paths: {
        '/x/{id}': {
          get: {
            'x-amazon-apigateway-integration': {
              type: 'http_proxy',
              uri: 'http://127.0.0.1:9/',
              payloadFormatVersion: '1.0',
              requestParameters,
            },
          },
        },
      },
    };
    const { config, report } = importOpenApi(doc);
    const { 'append:header.x-body': _dropped, ...kept } = requestParameters;
    assert.deepEqual(routesOf(config)[0]!.integration.requestParameters, kept);
    assert.match(
      report.format(),
      /requestParameters\/append:header\.x-body {2}requestParameters: .*\$request\.body is not supported/,
    );
    await compiles(config);
  });

  test('cacheKeyParameters become the route cache key; a path parameter the route lacks is reported; cacheNamespace is approximated', async () => {
    const { config, report } = importOpenApi(
      swagger({
        type: 'http_proxy',
        uri: 'http://127.0.0.1:9/{id}',
        cacheNamespace: 'ns1',
        cacheKeyParameters: [
          'method.request.querystring.lang',
          'method.request.header.X-Tenant',
          'method.request.path.id',
          'method.request.path.nope',
          'integration.request.header.x',
        ],
      }),
    );
    assert.deepEqual(routesOf(config)[0]!.cache, {
      cacheKeyParameters: [
        'method.request.querystring.lang',
        'method.request.header.X-Tenant',
        'method.request.path.id',
      ],
    });
    const text = report.format();
    assert.match(
      text,
      /unsupported {2}.*\/cacheKeyParameters\/3 {2}cacheKeyParameters: method\.request\.path\.nope: the route \/calc\/\{id\} has no path parameter nope/,
    );
    assert.match(
      text,
      /unsupported {2}.*\/cacheKeyParameters\/4 {2}cacheKeyParameters: "integration\.request\.header\.x": expected/,
    );
    assert.match(text, /approximated .*\/cacheNamespace {2}cacheNamespace/);
    await compiles(config);
  });
});

test('an HTTP API private integration to a listener ARN forwards the request path to the VPC link upstream', async () => {
  const doc = {
    openapi: '3.0.1',
    info: { title: 'p', version: '1' },
    paths: {
      '/{proxy+}': {
        'x-amazon-apigateway-any-method': {
          'x-amazon-apigateway-integration': {
            type: 'http_proxy',
            connectionType: 'VPC_LINK',
            connectionId: 'vl1',
            uri: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/1/2',
            payloadFormatVersion: '1.0',
          },
        },
      },
    },
  };
  const { config, report } = importOpenApi(doc, { vpcLinks: { vl1: 'http://127.0.0.1:9' } });
  assert.deepEqual(routesOf(config), [
    { route: 'ANY /{proxy+}', integration: { type: 'http_proxy', upstream: 'vpc-vl1' } },
  ]);
  assert.deepEqual(config.upstreams, { 'vpc-vl1': { targets: [{ url: 'http://127.0.0.1:9' }] } });
  assert.deepEqual(report.notes, []);
  await compiles(config);
});

describe('CloudFormation: Lambda targets', () => {
  const tpl = (integration: string, extra = '') => `
Resources:
  Api: { Type: AWS::ApiGateway::RestApi, Properties: { Name: calc } }
  Items: { Type: AWS::ApiGateway::Resource, Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: "{id}" } }
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      Integration:
${integration}
  Deploy: { Type: AWS::ApiGateway::Deployment, Properties: { RestApiId: !Ref Api, StageName: v1 } }
  Fn:
    Type: AWS::Lambda::Function
    Properties: { FunctionName: calc-fn, Runtime: nodejs20.x, Handler: index.handler, Timeout: 10, MemorySize: 256, Code: { S3Bucket: b, S3Key: k } }
  Perm:
    Type: AWS::Lambda::Permission
    Properties: { FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: apigateway.amazonaws.com }
${extra}`;
  const proxy = `        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations
        TimeoutInMillis: 20000
        CacheKeyParameters: [method.request.path.id]`;

  test('AWS_PROXY to a template function: mapped by logical id, FunctionName or an ARN naming it; Timeout and MemorySize carry over', async () => {
    for (const key of ['Fn', 'calc-fn', 'arn:aws:lambda:eu-west-1:123456789012:function:calc-fn:live']) {
      const { config, report } = importCloudFormation(tpl(proxy), { functions: { [key]: REF } });
      assert.deepEqual(routesOf(config), [
        {
          route: 'GET /{id}',
          integration: { type: 'function', handler: REF, functionName: 'calc-fn', timeoutMs: 10000, memoryMB: 256 },
          cache: { cacheKeyParameters: ['method.request.path.id'] },
        },
      ]);
      assert.deepEqual(report.notes, []);
      await compiles(config);
    }
    const unmapped = importCloudFormation(tpl(proxy));
    assert.match(
      unmapped.report.format(),
      /unsupported {2}\/Resources\/Get\/Properties\/Integration {2}Lambda function Fn: a Lambda can't run here \(its code is not in a local directory\): pass --function Fn=/,
    );
  });

  test('REST Integration RequestParameters are reported under their template names', () => {
    const integ = `        Type: HTTP_PROXY
        IntegrationHttpMethod: GET
        Uri: http://127.0.0.1:9/{id}
        RequestParameters:
          integration.request.header.x-a: method.request.header.a
          integration.request.header.x-b: method.request.body`;
    const { config, report } = importCloudFormation(tpl(integ));
    assert.deepEqual(routesOf(config)[0]!.integration.requestParameters, {
      'integration.request.header.x-a': 'method.request.header.a',
    });
    assert.match(
      report.format(),
      /\/Resources\/Get\/Properties\/Integration\/RequestParameters\/integration\.request\.header\.x-b {2}requestParameters/,
    );
  });

  test('HTTP API: AWS_PROXY integrations (PayloadFormatVersion), quick create to a Lambda, RequestParameters, ResponseParameters reported', async () => {
    const text = `
Resources:
  Quick: { Type: AWS::ApiGatewayV2::Api, Properties: { Name: quick, ProtocolType: HTTP, Target: !GetAtt Fn.Arn } }
  Http: { Type: AWS::ApiGatewayV2::Api, Properties: { Name: http, ProtocolType: HTTP } }
  Lambda1:
    Type: AWS::ApiGatewayV2::Integration
    Properties: { ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: 1.0 }
  Proxy:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: HTTP_PROXY
      IntegrationMethod: ANY
      IntegrationUri: http://127.0.0.1:9/
      PayloadFormatVersion: "1.0"
      RequestParameters: { "append:header.x-id": "$context.requestId", "overwrite:header.x-b": "$request.body.x" }
      ResponseParameters: { "200": { ResponseParameters: [{ Source: v, Destination: "append:header.h" }] } }
  R1: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref Http, RouteKey: GET /fn, Target: !Join [/, [integrations, !Ref Lambda1]] } }
  R2: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref Http, RouteKey: GET /up, Target: !Join [/, [integrations, !Ref Proxy]] } }
  Fn: { Type: AWS::Lambda::Function, Properties: { Runtime: nodejs20.x, Handler: index.handler, Code: { ZipFile: "exports.handler = async () => ({})" } } }
`;
    const { config, report } = importCloudFormation(text, { functions: { Fn: REF } });
    assert.deepEqual(routesOf(config, 0), [
      {
        route: '$default',
        integration: { type: 'function', handler: REF, functionName: 'Fn', payloadFormatVersion: '2.0' },
      },
    ]);
    assert.deepEqual(routesOf(config, 1), [
      {
        route: 'GET /fn',
        integration: { type: 'function', handler: REF, functionName: 'Fn', payloadFormatVersion: '1.0' },
      },
      {
        route: 'GET /up',
        integration: {
          type: 'http_proxy',
          uri: 'http://127.0.0.1:9/',
          requestParameters: { 'append:header.x-id': '$context.requestId' },
        },
      },
    ]);
    const notes = report.format();
    assert.match(
      notes,
      /unsupported {2}\/Resources\/Proxy\/Properties\/RequestParameters\/overwrite:header\.x-b {2}requestParameters/,
    );
    assert.match(notes, /unsupported {2}\/Resources\/Proxy\/Properties\/ResponseParameters {2}ResponseParameters/);
    await compiles(config);
  });
});

describe('SAM', () => {
  const sam = `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: { Runtime: nodejs20.x, Timeout: 7, MemorySize: 512, Environment: { Variables: { TABLE: t1 } } }
  Api:
    Cors: "'*'"
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.lambdaHandler
      Environment: { Variables: { STAGE: prod } }
      Events:
        Implicit:
          Type: Api
          Properties:
            Path: /hello
            Method: get
            RequestParameters:
              - method.request.querystring.lang: { Caching: true, Required: false }
        Explicit: { Type: Api, Properties: { Path: "/items/{id}", Method: any, RestApiId: !Ref Shop, Auth: { Authorizer: MyAuth } } }
        HttpDefault: { Type: HttpApi }
        HttpRoute: { Type: HttpApi, Properties: { ApiId: !Ref Http, Path: /h, Method: post, PayloadFormatVersion: "1.0", TimeoutInMillis: 3000 } }
        Queue: { Type: SQS, Properties: { Queue: arn:aws:sqs:us-east-1:1:q } }
  Java:
    Type: AWS::Serverless::Function
    Properties: { Runtime: java17, Handler: a.B::handle, CodeUri: ., Events: { E: { Type: Api, Properties: { Path: /java, Method: get } } } }
  Shop:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      Variables: { region: eu }
      GatewayResponses:
        DEFAULT_4XX: { StatusCode: 418, ResponseParameters: { Headers: { x-why: "'teapot'" } } }
      DefinitionBody:
        swagger: "2.0"
        info: { title: shop, version: "1" }
        paths:
          /ping: { get: { x-amazon-apigateway-integration: { type: mock, requestTemplates: { application/json: '{"statusCode": 200}' } } } }
          /bad: { get: { x-amazon-apigateway-integration: { type: aws, uri: "arn:aws:apigateway:us-east-1:s3:path/b" } } }
  Http:
    Type: AWS::Serverless::HttpApi
    Properties: { StageName: beta, StageVariables: { v: "1" }, Auth: { DefaultAuthorizer: Jwt } }
`;
  const found = new Map<string, string>();
  const resolveCode = (codeUri: string, module: string) => {
    found.set(codeUri, module);
    return codeUri === 'src/' && module === 'app' ? `${join(DIR, 'h.mjs')}` : undefined;
  };

  test('Api/HttpApi events build the implicit and explicit APIs with their stages, handlers derived from CodeUri + Handler', async () => {
    const { config, report } = importCloudFormation(sam, { resolveCode });
    assert.deepEqual(found.get('src/'), 'app');
    const fn = {
      type: 'function',
      handler: `${HANDLER}#lambdaHandler`,
      functionName: 'Hello',
      timeoutMs: 7000,
      memoryMB: 512,
    };
    const rest = apiNamed(config, 'ServerlessRestApi');
    assert.deepEqual(rest.stages, { Prod: {} });
    assert.deepEqual(rest.routes, [
      { route: 'GET /hello', integration: fn, cache: { cacheKeyParameters: ['method.request.querystring.lang'] } },
    ]);
    const shop = apiNamed(config, 'Shop');
    assert.deepEqual(shop.stages, { live: { variables: { region: 'eu' } } });
    assert.deepEqual(
      (shop.routes as Route[]).map((r) => r.route),
      ['GET /ping', 'ANY /items/{id}'],
    );
    assert.deepEqual((shop.routes as Route[])[1]!.integration, fn);
    assert.deepEqual(shop.gatewayResponses, { DEFAULT_4XX: { statusCode: 418, headers: { 'x-why': 'teapot' } } });
    const implicitHttp = apiNamed(config, 'ServerlessHttpApi');
    assert.equal(implicitHttp.type, 'http');
    assert.deepEqual(implicitHttp.stages, { $default: {} });
    assert.deepEqual(implicitHttp.routes, [{ route: '$default', integration: { ...fn, payloadFormatVersion: '2.0' } }]);
    const http = apiNamed(config, 'Http');
    assert.deepEqual(http.stages, { beta: { variables: { v: '1' } } });
    assert.deepEqual(http.routes, [
      { route: 'POST /h', integration: { ...fn, payloadFormatVersion: '1.0', timeoutMs: 3000 } },
    ]);
    await compiles(config);

    // Every note points at something in the SAM template as written.
    const template = parseTemplate(sam);
    for (const n of report.notes)
      if (n.pointer)
        assert.notEqual(resolvePointer(template, n.pointer), undefined, `note points at nothing: ${n.pointer}`);
    const text = report.format();
    assert.match(
      text,
      /unsupported {2}\/Resources\/Java\/Properties\/Events\/E {2}Lambda function Java: a Lambda can't run here \(runtime java17 is not JavaScript\): pass --function Java=/,
    );
    assert.match(
      text,
      /unsupported {2}\/Resources\/Hello\/Properties\/Events\/Explicit\/Properties\/Auth\/Authorizer {2}Api event Auth\.Authorizer/,
    );
    assert.match(text, /unsupported {2}\/Globals\/Api\/Cors {2}Cors: SAM Cors/);
    assert.match(
      text,
      /unsupported {2}\/Resources\/Http\/Properties\/Auth\/DefaultAuthorizer {2}Auth.DefaultAuthorizer: SAM authorizers/,
    );
    assert.match(
      text,
      /unsupported {2}\/Resources\/Shop\/Properties\/DefinitionBody\/paths\/~1bad\/get\/x-amazon-apigateway-integration {2}integration type aws/,
    );
    assert.equal(text.match(/\/Globals\/Api\/Cors/g)?.length, 1, 'a Globals setting shared by two APIs is one note');
    assert.match(
      text,
      /approximated \/Globals\/Function\/Environment\/Variables {2}Environment: the function sees the gateway's environment: set TABLE there/,
    );
    assert.match(
      text,
      /approximated \/Resources\/Hello\/Properties\/Environment\/Variables {2}Environment: the function sees the gateway's environment: set STAGE, TABLE there/,
    );
  });

  test('--function wins over a derived handler; a function without local code needs --function', () => {
    const { config } = importCloudFormation(sam, {
      resolveCode: () => undefined,
      functions: { Hello: REF, Java: REF },
    });
    const routes = apiNamed(config, 'ServerlessRestApi').routes as Route[];
    assert.deepEqual(
      routes.map((r) => [r.route, r.integration.handler]),
      [
        ['GET /hello', REF],
        ['GET /java', REF],
      ],
    );
    const without = importCloudFormation(sam, { resolveCode: () => undefined });
    assert.match(
      without.report.format(),
      /Lambda function Hello: a Lambda can't run here \(no app\.js\/\.mjs\/\.cjs in src\/ under the code root\): pass --function Hello=/,
    );
  });

  test('inline code (InlineCode, Code.ZipFile) is saved through writeInlineCode; without it the report says to use --out', () => {
    const text = `
Resources:
  Inline:
    Type: AWS::Serverless::Function
    Properties: { Handler: index.handler, Runtime: nodejs20.x, InlineCode: "exports.handler = async () => ({ statusCode: 204 })", Events: { E: { Type: HttpApi } } }
  Zip:
    Type: AWS::Lambda::Function
    Properties: { Handler: main.go, Runtime: nodejs20.x, Code: { ZipFile: "exports.go = async () => ({})" } }
  Quick: { Type: AWS::ApiGatewayV2::Api, Properties: { Name: q, ProtocolType: HTTP, Target: !GetAtt Zip.Arn } }
`;
    const saved: string[] = [];
    const { config, report } = importCloudFormation(text, {
      writeInlineCode: (id, module, code) => {
        saved.push(`${id} ${module} ${code}`);
        return `./functions/${id}/${module}.cjs`;
      },
    });
    assert.deepEqual(saved.sort(), [
      'Inline index exports.handler = async () => ({ statusCode: 204 })',
      'Zip main exports.go = async () => ({})',
    ]);
    assert.equal(
      (apiNamed(config, 'ServerlessHttpApi').routes as Route[])[0]!.integration.handler,
      './functions/Inline/index.cjs#handler',
    );
    assert.equal((apiNamed(config, 'q').routes as Route[])[0]!.integration.handler, './functions/Zip/main.cjs#go');
    const text2 = report.format();
    assert.match(
      text2,
      /approximated \/Resources\/Inline\/Properties\/InlineCode {2}inline code: saved as \.\/functions\/Inline\/index\.cjs/,
    );
    assert.match(text2, /approximated \/Resources\/Zip\/Properties\/Code\/ZipFile {2}inline code/);
    const without = importCloudFormation(text);
    assert.match(
      without.report.format(),
      /Lambda function Inline: a Lambda can't run here \(its code is inline in the template; import with --out to save it next to the config\)/,
    );
  });

  test('an event naming an API that is not a SAM API of the template is reported', () => {
    const text = `
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties: { Handler: a.b, Runtime: nodejs20.x, CodeUri: ., Events: { E: { Type: Api, Properties: { Path: /x, Method: get, RestApiId: abc123 } } } }
`;
    const { report } = importCloudFormation(text);
    assert.match(
      report.format(),
      /unsupported {2}\/Resources\/F\/Properties\/Events\/E\/Properties\/RestApiId {2}Api event: must name an AWS::Serverless::Api of this template/,
    );
  });

  test('the corpus SAM templates import; every SAM resource is imported or reported', async () => {
    const { dir, files } = corpus('cloudformation');
    const samFiles = files.filter((f) => readFileSync(join(dir, f), 'utf8').includes('AWS::Serverless::'));
    assert.ok(samFiles.length > 0, 'the corpus has SAM templates');
    const p8 = samFiles.find((f) => f.includes('p8_serverless'));
    if (p8) {
      const { config } = importCloudFormation(readFileSync(join(dir, p8), 'utf8'), {
        functions: { MyRestApiFunction: REF },
      });
      assert.deepEqual(apiNamed(config, 'ServerlessHttpApi').routes, [
        {
          route: '$default',
          integration: {
            type: 'function',
            handler: REF,
            functionName: 'MyRestApiFunction',
            payloadFormatVersion: '2.0',
            timeoutMs: 20000,
            memoryMB: 512,
          },
        },
      ]);
      await compiles(config);
    }
  });
});

describe('export: functions, mappings and cache keys go back out as AWS extensions', () => {
  test('import → export → import gives the same config', () => {
    const config = loadConfigText(
      stringify({
        version: 1,
        apis: [
          {
            name: 'fns',
            type: 'http',
            stages: { $default: {} },
            routes: [
              {
                route: 'GET /a/{id}',
                integration: {
                  type: 'function',
                  handler: REF,
                  payloadFormatVersion: '1.0',
                  timeoutMs: 5000,
                  memoryMB: 256,
                },
              },
              {
                route: 'GET /b',
                integration: {
                  type: 'http_proxy',
                  uri: 'http://127.0.0.1:9/b',
                  requestParameters: { 'append:header.x-id': '$context.requestId' },
                },
              },
              {
                route: 'GET /c/{id}',
                integration: { type: 'http_proxy', uri: 'http://127.0.0.1:9/c' },
                cache: { cacheKeyParameters: ['method.request.querystring.q'], ttlSeconds: 60 },
              },
            ],
          },
        ],
      }),
      'x.yaml',
      {},
    ).config;
    const doc = exportOpenApi(config) as {
      paths: Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    };
    const fnInteg = doc.paths['/a/{id}']!.get!['x-amazon-apigateway-integration']!;
    assert.equal(fnInteg.type, 'aws_proxy');
    assert.match(
      String(fnInteg.uri),
      /^arn:aws:apigateway:us-east-1:lambda:path\/2015-03-31\/functions\/arn:aws:lambda:us-east-1:123456789012:function:h\/invocations$/,
    );
    assert.equal(fnInteg.payloadFormatVersion, '1.0');
    assert.deepEqual(doc.paths['/b']!.get!['x-amazon-apigateway-integration']!.requestParameters, {
      'append:header.x-id': '$context.requestId',
    });
    assert.deepEqual(doc.paths['/c/{id}']!.get!['x-amazon-apigateway-integration']!.cacheKeyParameters, [
      'method.request.querystring.q',
    ]);
    const again = importOpenApi(parse(stringify(doc)));
    assert.deepEqual(again.report.notes, []);
    assert.deepEqual(loadConfigText(stringify(again.config), 'x.yaml', {}).config, config);
  });
});

describe('portico import: --function and --code-root', () => {
  test('bad --function values and a missing --code-root are usage errors', () => {
    const file = join(DIR, 'api.json');
    writeFileSync(file, JSON.stringify(swagger({ type: 'aws_proxy', uri: LAMBDA_URI })));
    const bad = runCli(['import', 'openapi', file, '--function', 'Calc=./h.mjs']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(
      bad.stderr,
      /--function Calc= expects MODULE#EXPORT, e\.g\. \.\/handlers\/app\.js#handler, got "\.\/h\.mjs"/,
    );
    const missing = runCli(['import', 'openapi', file, '--function', `Calc=${join(DIR, 'nope.js')}#handler`]);
    assert.match(missing.stderr, /--function Calc: .*nope\.js not found/);
    const root = runCli(['import', 'cloudformation', file, '--code-root', join(DIR, 'none')]);
    assert.match(root.stderr, /--code-root .* is not a directory/);
    const wrong = runCli(['import', 'openapi', file, '--code-root', DIR]);
    assert.match(wrong.stderr, /--code-root is for `portico import cloudformation`/);
  });

  test('handler paths are written relative to the output file', () => {
    mkdirSync(join(DIR, 'out'), { recursive: true });
    const file = join(DIR, 'api2.json');
    writeFileSync(file, JSON.stringify(swagger({ type: 'aws_proxy', uri: LAMBDA_URI })));
    const out = join(DIR, 'out', 'portico.yaml');
    const r = runCli(['import', 'openapi', file, '--function', `Calc=${HANDLER}#handler`, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(out, 'utf8'), /handler: \.\.\/h\.mjs#handler/);
  });
});
