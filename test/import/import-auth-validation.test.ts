import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { loadConfigText } from '../../src/features.js';
import type { PorticoConfig } from '../../src/config/schema.js';
import { parseTemplate } from '../../src/import/cfn-intrinsics.js';
import { importCloudFormation } from '../../src/import/cloudformation.js';
import { exportOpenApi } from '../../src/import/export-openapi.js';
import { importOpenApi } from '../../src/import/openapi.js';
import { compiles, corpus, resolvePointer } from './import-helpers.js';

type Api = Record<string, unknown> & { routes: Record<string, unknown>[] };
const apiOf = (config: Record<string, unknown>, i = 0) => (config.apis as Api[])[i] as Api;
const route = (api: Api, key: string) => api.routes.find((r) => r.route === key);
const { dir: OPENAPI } = corpus('openapi');
const { dir: CFN } = corpus('cloudformation');
const LAMBDA =
  'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:token-auth/invocations';
const http = (uri = 'http://127.0.0.1:9/x') => ({ 'x-amazon-apigateway-integration': { type: 'http_proxy', uri } });

describe('OpenAPI import: authorizers and API keys', () => {
  const doc = (extra: Record<string, unknown> = {}) => ({
    swagger: '2.0',
    info: { title: 'auth' },
    securityDefinitions: {
      tok: {
        type: 'apiKey',
        name: 'X-Token',
        in: 'header',
        'x-amazon-apigateway-authtype': 'custom',
        'x-amazon-apigateway-authorizer': {
          type: 'token',
          authorizerUri: LAMBDA,
          identityValidationExpression: '^Bearer .+',
          authorizerResultTtlInSeconds: 60,
        },
      },
      req: {
        type: 'apiKey',
        name: 'Unused',
        in: 'header',
        'x-amazon-apigateway-authorizer': {
          type: 'request',
          authorizerUri: LAMBDA,
          identitySource: 'method.request.header.X-A, method.request.querystring.b, stageVariables.c',
          authorizerResultTtlInSeconds: 0,
        },
      },
      api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' },
      sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' },
    },
    security: [{ tok: [] }],
    paths: {
      '/inherits': { get: http() },
      '/open': { get: { ...http(), security: [] } },
      '/req': { get: { ...http(), security: [{ req: ['ignored-scope'] }, { api_key: [] }] } },
      '/iam': { get: { ...http(), security: [{ sigv4: [] }] } },
      '/iam2': { get: { ...http(), security: [], 'x-amazon-apigateway-auth': { type: 'AWS_IAM' } } },
      '/undefined': { get: { ...http(), security: [{ nope: [] }] } },
    },
    ...extra,
  });

  test('Lambda TOKEN and REQUEST authorizers become function authorizers; root security applies; security: [] opens', () => {
    const { config, report } = importOpenApi(doc(), {
      authorizerFunctions: { tok: './tok.js#check', 'token-auth': './any.js#handler' },
    });
    const api = apiOf(config);
    assert.deepEqual(api.authorizers, {
      tok: {
        type: 'function',
        function: './tok.js#check',
        eventType: 'TOKEN',
        identitySource: ['$request.header.X-Token'],
        identityValidationExpression: '^Bearer .+',
        resultTtlSeconds: 60,
      },
      // Matched by the Lambda function's name in authorizerUri.
      req: {
        type: 'function',
        function: './any.js#handler',
        eventType: 'REQUEST',
        identitySource: ['$request.header.X-A', '$request.querystring.b'],
        resultTtlSeconds: 0,
      },
    });
    assert.deepEqual(
      api.routes.map((r) => [r.route, r.authorizer, r.apiKeyRequired, r.authorizationScopes]),
      [
        ['GET /inherits', 'tok', undefined, undefined],
        ['GET /open', undefined, undefined, undefined],
        ['GET /req', 'req', true, undefined],
        ['GET /undefined', undefined, undefined, undefined],
      ],
    );
    const text = report.format();
    assert.match(
      text,
      /approximated \/securityDefinitions\/req\/x-amazon-apigateway-authorizer\/identitySource {2}identitySource: "stageVariables.c"/,
    );
    assert.match(
      text,
      /approximated \/paths\/~1req\/get\/security {2}authorization scopes: scopes ignored-scope apply to Cognito and JWT authorizers only/,
    );
    assert.match(
      text,
      /unsupported {2}\/paths\/~1iam\/get\/security {2}security: "sigv4" is IAM \(SigV4\) authorization, which is not supported; route left out/,
    );
    assert.match(
      text,
      /unsupported {2}\/paths\/~1iam2\/get\/x-amazon-apigateway-auth .*IAM authorization \(SigV4\) is not supported; route left out/,
    );
    assert.match(
      text,
      /unsupported {2}\/paths\/~1undefined\/get\/security {2}security: "nope" is not a defined security scheme; ignored/,
    );
  });

  test('a Lambda authorizer without a local function is reported, and the routes it guards are left out (never served open)', () => {
    const { config, report } = importOpenApi(doc(), { authorizerFunctions: { tok: './tok.js' } });
    const api = apiOf(config);
    assert.deepEqual(Object.keys(api.authorizers as object), ['tok']);
    assert.equal(route(api, 'GET /req'), undefined);
    assert.match(
      report.format(),
      /unsupported {2}\/securityDefinitions\/req\/x-amazon-apigateway-authorizer {2}authorizer: Lambda authorizer token-auth has no local function; pass --authorizer-function req=\.\/file\.js#handler; routes using it are left out/,
    );
    assert.match(
      report.format(),
      /unsupported {2}\/paths\/~1req\/get\/security {2}security: authorizer "req" is not mapped .*; route left out/,
    );
    // Root security: the note points at the operation, so each left-out route has its own.
    const none = importOpenApi(doc(), {});
    assert.match(
      none.report.format(),
      /unsupported {2}\/paths\/~1inherits\/get {2}security: authorizer "tok" is not mapped .* \(root security\); route left out/,
    );
    assert.equal(route(apiOf(none.config), 'GET /inherits'), undefined);
  });

  test('x-portico-authorizer (it names a module to run) is read only from our own exports', () => {
    const foreign = {
      openapi: '3.0.1',
      info: { title: 'f' },
      components: {
        securitySchemes: {
          sneaky: {
            type: 'apiKey',
            name: 'Authorization',
            in: 'header',
            'x-portico-authorizer': { type: 'function', function: '/tmp/x.js' },
          },
        },
      },
      paths: { '/x': { get: { ...http(), security: [{ sneaky: [] }] } } },
    };
    const r = importOpenApi(foreign);
    assert.equal(apiOf(r.config).authorizers, undefined);
    assert.equal(apiOf(r.config).routes.length, 0);
    assert.match(
      r.report.format(),
      /unsupported {2}\/components\/securitySchemes\/sneaky {2}authorizer: x-portico-authorizer is read only from documents written by `portico export openapi`/,
    );
    const own = importOpenApi({ ...foreign, 'x-portico': { type: 'rest' } });
    assert.deepEqual(apiOf(own.config).authorizers, { sneaky: { type: 'function', function: '/tmp/x.js' } });
  });

  test('API key scheme → apiKeyRequired; x-amazon-apigateway-api-key-source → apiKeySource; another header name → apiKeyHeader', () => {
    const { config } = importOpenApi({
      openapi: '3.0.1',
      info: { title: 'keys' },
      'x-amazon-apigateway-api-key-source': 'AUTHORIZER',
      components: { securitySchemes: { key: { type: 'apiKey', name: 'X-Key', in: 'header' } } },
      paths: { '/k': { get: { ...http(), security: [{ key: [] }] } }, '/o': { get: http() } },
    });
    const api = apiOf(config);
    assert.equal(api.apiKeySource, 'AUTHORIZER');
    assert.equal(api.apiKeyHeader, 'X-Key');
    assert.equal(route(api, 'GET /k')?.apiKeyRequired, true);
    assert.equal(route(api, 'GET /o')?.apiKeyRequired, undefined);
    const bad = importOpenApi({
      swagger: '2.0',
      info: { title: 't' },
      'x-amazon-apigateway-api-key-source': 'QUERY',
      paths: {},
    });
    assert.match(
      bad.report.format(),
      /unsupported {2}\/x-amazon-apigateway-api-key-source .*expected HEADER or AUTHORIZER, got "QUERY"/,
    );
  });

  test('Cognito user pools → jwt (issuer from the pool ARN, its JWKS, no audience check); scopes → authorizationScopes; --jwks overrides', () => {
    const file = join(OPENAPI, 'localstack_localstack__tests__aws__files__openapi.cognito-auth.json');
    const raw = parse(readFileSync(file, 'utf8'));
    const arn = 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Pool1';
    const { config } = importOpenApi(raw, {
      params: { cognito_pool_arn: arn },
      jwks: { 'eu-west-1_Pool1': 'http://127.0.0.1:1/jwks.json' },
    });
    const api = apiOf(config);
    assert.deepEqual((api.authorizers as Record<string, unknown>)['cognito-test-identity-source'], {
      type: 'jwt',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool1',
      verifyAudience: false,
      jwksUri: 'http://127.0.0.1:1/jwks.json',
      identitySource: '$request.header.TestHeaderAuth',
    });
    assert.deepEqual(
      api.routes.map((r) => [r.route, r.authorizer, r.authorizationScopes]),
      [
        ['GET /default-no-scope', 'cognito-test-identity-source', undefined],
        ['GET /default-scope-override', 'cognito-test-identity-source', ['openid']],
        ['GET /non-default-authorizer', 'extra-test-identity-source', ['email', 'openid']],
        ['GET /pets', 'cognito-test-identity-source', ['email']],
      ],
    );
    const def = importOpenApi(raw, { params: { cognito_pool_arn: arn } });
    assert.equal(
      (
        (apiOf(def.config).authorizers as Record<string, { jwksUri: string }>)['extra-test-identity-source'] as {
          jwksUri: string;
        }
      ).jwksUri,
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool1/.well-known/jwks.json',
    );
    // Without the pool ARN, the authorizer can't be built and its routes are left out.
    const unknown = importOpenApi(raw, {});
    assert.equal(apiOf(unknown.config).routes.length, 0);
    assert.match(unknown.report.format(), /providerARNs "\$\{cognito_pool_arn\}" is not a user pool ARN/);
  });

  test('HTTP API jwt authorizers: issuer, audience, identity source; OIDC discovery unless the issuer is Cognito', () => {
    const { config } = importOpenApi({
      openapi: '3.0.1',
      info: { title: 'jwt' },
      components: {
        securitySchemes: {
          oidc: {
            type: 'oauth2',
            flows: {},
            'x-amazon-apigateway-authorizer': {
              type: 'jwt',
              identitySource: '$request.querystring.token',
              jwtConfiguration: { issuer: 'https://id.example.com', audience: ['a', 'b'] },
            },
          },
          cog: {
            type: 'oauth2',
            flows: {},
            'x-amazon-apigateway-authorizer': {
              type: 'jwt',
              jwtConfiguration: { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X', audience: 'c' },
            },
          },
        },
      },
      paths: {
        '/a': { get: { ...http(), security: [{ oidc: ['read', 'write'] }] } },
        '/b': { get: { ...http(), security: [{ cog: [] }] } },
      },
      'x-amazon-apigateway-cors': {},
    });
    const api = apiOf(config);
    assert.equal(api.type, 'http');
    assert.deepEqual(api.authorizers, {
      oidc: {
        type: 'jwt',
        issuer: 'https://id.example.com',
        audiences: ['a', 'b'],
        discovery: true,
        identitySource: '$request.querystring.token',
      },
      cog: {
        type: 'jwt',
        issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X',
        audiences: ['c'],
        jwksUri: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X/.well-known/jwks.json',
      },
    });
    assert.deepEqual(route(api, 'GET /a')?.authorizationScopes, ['read', 'write']);
  });
});

describe('OpenAPI import: request validators and models', () => {
  test('the request validation sample: validators, the root default, required parameters and the body model', () => {
    const file = join(
      OPENAPI,
      'awsdocs_amazon-api-gateway-developer-guide__doc_source__api-gateway-request-validation-sample-api-swagger__codeblock0.json',
    );
    const { config } = importOpenApi(parse(readFileSync(file, 'utf8')));
    const api = apiOf(config);
    assert.deepEqual(api.requestValidators, {
      all: { validateRequestBody: true, validateRequestParameters: true },
      'params-only': { validateRequestParameters: true },
    });
    assert.equal(api.requestValidator, 'params-only');
    assert.deepEqual(Object.keys(api.models as object), ['RequestBodyModel']);
    assert.deepEqual(route(api, 'GET /validation')?.requestValidation, { requiredParameters: { querystring: ['q1'] } });
    assert.deepEqual(route(api, 'POST /validation')?.requestValidation, {
      validator: 'all',
      requiredParameters: { header: ['h1'] },
      bodyModel: 'RequestBodyModel',
    });
  });

  test('OpenAPI 3 request bodies: $ref models with the models they refer to, inline schemas, $ref parameters, path-level parameters', async () => {
    const { config, report } = importOpenApi({
      openapi: '3.0.1',
      info: { title: 'v' },
      'x-amazon-apigateway-request-validators': {
        basic: { validateRequestBody: true, validateRequestParameters: true },
        none: {},
      },
      'x-amazon-apigateway-request-validator': 'basic',
      components: {
        schemas: {
          Person: {
            type: 'object',
            properties: { friend: { $ref: '#/components/schemas/Person' }, tag: { $ref: '#/components/schemas/Tag' } },
          },
          Tag: { type: 'string' },
          Unused: { type: 'number' },
        },
        parameters: { tenant: { name: 'x-tenant', in: 'header', required: true } },
        requestBodies: {
          PersonBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Person' } }, 'application/xml': {} },
          },
        },
      },
      paths: {
        '/people/{id}': {
          parameters: [{ name: 'id', in: 'path', required: true }],
          post: {
            ...http(),
            parameters: [{ $ref: '#/components/parameters/tenant' }, { name: 'q', in: 'query', required: false }],
            requestBody: { $ref: '#/components/requestBodies/PersonBody' },
          },
          put: {
            ...http(),
            'x-amazon-apigateway-request-validator': 'none',
            requestBody: {
              content: {
                'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Tag' } } },
              },
            },
          },
          patch: { ...http(), 'x-amazon-apigateway-request-validator': 'missing' },
        },
        '/plain': { get: http() },
      },
    });
    const api = apiOf(config);
    assert.deepEqual(Object.keys(api.models as object).sort(), ['Person', 'Tag']);
    assert.deepEqual(route(api, 'POST /people/{id}')?.requestValidation, {
      requiredParameters: { header: ['x-tenant'], path: ['id'] },
      bodyModel: 'Person',
    });
    assert.deepEqual(route(api, 'PUT /people/{id}')?.requestValidation, {
      validator: 'none',
      requiredParameters: { path: ['id'] },
      bodySchema: { type: 'array', items: { $ref: '#/components/schemas/Tag' } },
    });
    assert.equal(route(api, 'PATCH /people/{id}')?.requestValidation, undefined);
    assert.equal(route(api, 'GET /plain')?.requestValidation, undefined);
    assert.match(
      report.format(),
      /approximated \/components\/requestBodies\/PersonBody\/content|approximated \/paths\/~1people~1\{id\}\/post\/requestBody\/content {2}request models: only the JSON model is checked; application\/xml/,
    );
    assert.match(
      report.format(),
      /unsupported {2}\/paths\/~1people~1\{id\}\/patch\/x-amazon-apigateway-request-validator {2}request validator: "missing" is not in/,
    );
    await compiles(config);
  });

  test('without any validator, nothing is validated (as AWS): no requestValidation', () => {
    const { config } = importOpenApi({
      swagger: '2.0',
      info: { title: 'v' },
      definitions: { M: { type: 'object' } },
      paths: {
        '/x': {
          post: {
            ...http(),
            parameters: [
              { in: 'query', name: 'q', required: true },
              { in: 'body', name: 'b', schema: { $ref: '#/definitions/M' } },
            ],
          },
        },
      },
    });
    const api = apiOf(config);
    assert.equal(route(api, 'POST /x')?.requestValidation, undefined);
    assert.equal(api.models, undefined);
  });
});

describe('OpenAPI import: CORS and binary media types', () => {
  test('x-amazon-apigateway-cors → cors; x-amazon-apigateway-binary-media-types → binaryMediaTypes; bad entries are left out and reported', () => {
    const { config, report } = importOpenApi({
      openapi: '3.0.1',
      info: { title: 'c' },
      'x-amazon-apigateway-cors': {
        allowOrigins: ['https://a.example.com', 'not an origin'],
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['authorization'],
        exposeHeaders: ['x-id'],
        maxAge: 600,
        allowCredentials: true,
      },
      'x-amazon-apigateway-binary-media-types': ['image/png', 'application~1octet-stream', 'nonsense'],
      paths: { '/x': { get: http() } },
    });
    const api = apiOf(config);
    assert.deepEqual(api.cors, {
      allowOrigins: ['https://a.example.com'],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['authorization'],
      exposeHeaders: ['x-id'],
      maxAge: 600,
      allowCredentials: true,
    });
    assert.deepEqual(api.binaryMediaTypes, ['image/png', 'application/octet-stream']);
    assert.match(
      report.format(),
      /approximated \/x-amazon-apigateway-cors\/allowOrigins\/1 {2}CORS: expected "\*", "https:\/\/\*", or an origin/,
    );
    assert.match(
      report.format(),
      /approximated \/x-amazon-apigateway-binary-media-types\/2 {2}binary media type: expected a media type/,
    );
    const star = importOpenApi({
      openapi: '3.0.1',
      info: { title: 'c' },
      'x-amazon-apigateway-cors': { allowOrigins: ['*'], allowCredentials: true, maxAge: -1 },
      paths: {},
    });
    assert.deepEqual(apiOf(star.config).cors, { allowOrigins: ['*'] });
    assert.match(
      star.report.format(),
      /approximated \/x-amazon-apigateway-cors\/allowCredentials {2}CORS: allowCredentials cannot be used with "\*" origins/,
    );
  });
});

describe('CloudFormation import: authorizers, validators, models, keys, CORS, binary media types', () => {
  const rest = `
Parameters:
  PoolArn: { Type: String, Default: "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_P" }
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: { Name: pets, ApiKeySourceType: AUTHORIZER, BinaryMediaTypes: [image~1png, "*~1*"] }
  Pets:
    Type: AWS::ApiGateway::Resource
    Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: pets }
  TokenAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: token-auth
      Type: TOKEN
      AuthorizerUri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${AuthFn.Arn}/invocations
      IdentitySource: method.request.header.Auth
      IdentityValidationExpression: "^x-"
      AuthorizerResultTtlInSeconds: 30
  PoolAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties: { RestApiId: !Ref Api, Name: pool, Type: COGNITO_USER_POOLS, IdentitySource: method.request.header.Authorization, ProviderARNs: [!Ref PoolArn] }
  Unmapped:
    Type: AWS::ApiGateway::Authorizer
    Properties: { RestApiId: !Ref Api, Type: REQUEST, AuthorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:other/invocations" }
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties: { RestApiId: !Ref Api, Name: everything, ValidateRequestBody: true, ValidateRequestParameters: true }
  PetModel:
    Type: AWS::ApiGateway::Model
    Properties: { RestApiId: !Ref Api, Name: Pet, ContentType: application/json, Schema: '{"type":"object","required":["name"]}' }
  GetPets:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref TokenAuth
      ApiKeyRequired: true
      Integration: { Type: HTTP_PROXY, IntegrationHttpMethod: GET, Uri: "http://127.0.0.1:9/pets" }
  PostPets:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: POST
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !GetAtt PoolAuth.AuthorizerId
      AuthorizationScopes: [pets/write]
      RequestValidatorId: !GetAtt Validator.RequestValidatorId
      RequestParameters: { method.request.querystring.dryRun: true, method.request.header.x-opt: false }
      RequestModels: { application/json: !Ref PetModel }
      Integration: { Type: HTTP_PROXY, IntegrationHttpMethod: POST, Uri: "http://127.0.0.1:9/pets" }
  PutPets:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: PUT
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Unmapped
      Integration: { Type: HTTP_PROXY, IntegrationHttpMethod: PUT, Uri: "http://127.0.0.1:9/pets" }
  DeletePets:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: DELETE
      AuthorizationType: AWS_IAM
      Integration: { Type: HTTP_PROXY, IntegrationHttpMethod: DELETE, Uri: "http://127.0.0.1:9/pets" }
  Deploy:
    Type: AWS::ApiGateway::Deployment
    Properties: { RestApiId: !Ref Api, StageName: prod }
`;

  test('REST: Authorizer (TOKEN, COGNITO_USER_POOLS), Method authorization, API keys, RequestValidator, Model, RequestParameters, RequestModels', async () => {
    const { config, report } = importCloudFormation(rest, { authorizerFunctions: { AuthFn: './auth.js#handler' } });
    const api = apiOf(config);
    assert.equal(api.apiKeySource, 'AUTHORIZER');
    assert.deepEqual(api.binaryMediaTypes, ['image/png', '*/*']);
    assert.deepEqual(api.authorizers, {
      'token-auth': {
        type: 'function',
        function: './auth.js#handler',
        eventType: 'TOKEN',
        identitySource: ['$request.header.Auth'],
        identityValidationExpression: '^x-',
        resultTtlSeconds: 30,
      },
      pool: {
        type: 'jwt',
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P',
        verifyAudience: false,
        jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P/.well-known/jwks.json',
      },
    });
    assert.deepEqual(api.requestValidators, {
      everything: { validateRequestBody: true, validateRequestParameters: true },
    });
    assert.deepEqual(api.models, { Pet: { type: 'object', required: ['name'] } });
    assert.deepEqual(route(api, 'GET /pets'), {
      route: 'GET /pets',
      integration: { type: 'http_proxy', uri: 'http://127.0.0.1:9/pets' },
      authorizer: 'token-auth',
      apiKeyRequired: true,
    });
    assert.deepEqual(route(api, 'POST /pets'), {
      route: 'POST /pets',
      integration: { type: 'http_proxy', uri: 'http://127.0.0.1:9/pets' },
      authorizer: 'pool',
      authorizationScopes: ['pets/write'],
      requestValidation: { validator: 'everything', requiredParameters: { querystring: ['dryRun'] }, bodyModel: 'Pet' },
    });
    assert.equal(route(api, 'PUT /pets'), undefined);
    assert.equal(route(api, 'DELETE /pets'), undefined);
    const text = report.format();
    assert.match(
      text,
      /unsupported {2}\/Resources\/Unmapped\/Properties {2}authorizer: Lambda authorizer other has no local function; pass --authorizer-function Unmapped=/,
    );
    assert.match(
      text,
      /unsupported {2}\/Resources\/PutPets\/Properties\/AuthorizerId {2}AuthorizerId: authorizer "Unmapped" is not mapped/,
    );
    assert.match(
      text,
      /unsupported {2}\/Resources\/DeletePets\/Properties\/AuthorizationType {2}AuthorizationType: IAM authorization \(SigV4\) is not supported; left out/,
    );
    for (const n of report.notes) assert.notEqual(resolvePointer(parseTemplate(rest), n.pointer), undefined, n.pointer);
    assert.doesNotThrow(() => loadConfigText(stringify(config), 'x.yaml', {}));
  });

  test('the CDK models template: Model + RequestValidator + RequestModels on a mock', async () => {
    const file = join(CFN, 'localstack_localstack__tests__aws__templates__apigateway_models.json');
    const { config, report } = importCloudFormation(readFileSync(file, 'utf8'));
    assert.deepEqual(report.notes, []);
    const api = apiOf(config);
    assert.deepEqual(route(api, 'ANY /validated')?.requestValidation, {
      validator: 'require-valid-body',
      bodyModel: 'TestModel',
    });
    await compiles(config);
  });

  test('HTTP: ApiGatewayV2 Authorizer (JWT), Route authorization and scopes, CorsConfiguration, managed overrides of the quick-create route', () => {
    const template = {
      Resources: {
        Quick: {
          Type: 'AWS::ApiGatewayV2::Api',
          Properties: {
            Name: 'quick',
            ProtocolType: 'HTTP',
            Target: 'http://127.0.0.1:9/q',
            CorsConfiguration: { AllowOrigins: ['https://app.example.com'], AllowMethods: ['GET'], MaxAge: 60 },
          },
        },
        Over: {
          Type: 'AWS::ApiGatewayV2::ApiGatewayManagedOverrides',
          Properties: {
            ApiId: { Ref: 'Quick' },
            Route: { AuthorizationType: 'JWT', AuthorizerId: { Ref: 'QuickJwt' }, AuthorizationScopes: ['s'] },
          },
        },
        QuickJwt: {
          Type: 'AWS::ApiGatewayV2::Authorizer',
          Properties: {
            ApiId: { Ref: 'Quick' },
            Name: 'jwt',
            AuthorizerType: 'JWT',
            IdentitySource: ['$request.header.Authorization'],
            JwtConfiguration: { Issuer: 'https://id.example.com', Audience: ['app'] },
          },
        },
        Full: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'full', ProtocolType: 'HTTP' } },
        FullJwt: {
          Type: 'AWS::ApiGatewayV2::Authorizer',
          Properties: {
            ApiId: { Ref: 'Full' },
            AuthorizerType: 'JWT',
            JwtConfiguration: { Issuer: 'https://id.example.com', Audience: ['app'] },
          },
        },
        Integ: {
          Type: 'AWS::ApiGatewayV2::Integration',
          Properties: {
            ApiId: { Ref: 'Full' },
            IntegrationType: 'HTTP_PROXY',
            IntegrationUri: 'http://127.0.0.1:9/y',
            IntegrationMethod: 'ANY',
          },
        },
        Guarded: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: {
            ApiId: { Ref: 'Full' },
            RouteKey: 'GET /y',
            AuthorizationType: 'JWT',
            AuthorizerId: { Ref: 'FullJwt' },
            AuthorizationScopes: ['read'],
            Target: 'integrations/Integ',
          },
        },
        Iam: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: {
            ApiId: { Ref: 'Full' },
            RouteKey: 'GET /iam',
            AuthorizationType: 'AWS_IAM',
            Target: 'integrations/Integ',
          },
        },
        Wrong: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: {
            ApiId: { Ref: 'Full' },
            RouteKey: 'GET /w',
            AuthorizationType: 'JWT',
            AuthorizerId: { Ref: 'QuickJwt' },
            Target: 'integrations/Integ',
          },
        },
        Lam: {
          Type: 'AWS::ApiGatewayV2::Authorizer',
          Properties: {
            ApiId: { Ref: 'Full' },
            Name: 'lam',
            AuthorizerType: 'REQUEST',
            AuthorizerUri: 'arn:aws:lambda:us-east-1:1:function:fn',
            IdentitySource: ['$request.header.X-Id', '$context.routeKey'],
            AuthorizerPayloadFormatVersion: '2.0',
            AuthorizerResultTtlInSeconds: 0,
          },
        },
        Ws: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'ws', ProtocolType: 'WEBSOCKET' } },
        WsAuth: {
          Type: 'AWS::ApiGatewayV2::Authorizer',
          Properties: {
            ApiId: { Ref: 'Ws' },
            AuthorizerType: 'REQUEST',
            AuthorizerUri: 'arn:aws:lambda:us-east-1:1:function:fn',
          },
        },
        Custom: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: {
            ApiId: { Ref: 'Full' },
            RouteKey: 'GET /c',
            AuthorizationType: 'CUSTOM',
            AuthorizerId: { Ref: 'Lam' },
            Target: 'integrations/Integ',
          },
        },
      },
    };
    const { config, report } = importCloudFormation(JSON.stringify(template), {
      jwks: { FullJwt: 'http://127.0.0.1:1/keys' },
      authorizerFunctions: { fn: './fn.js#auth' },
    });
    const [quick, full] = [apiOf(config, 0), apiOf(config, 1)];
    assert.deepEqual(quick.cors, { allowOrigins: ['https://app.example.com'], allowMethods: ['GET'], maxAge: 60 });
    assert.deepEqual(quick.authorizers, {
      jwt: { type: 'jwt', issuer: 'https://id.example.com', audiences: ['app'], discovery: true },
    });
    assert.deepEqual(quick.routes, [
      {
        route: '$default',
        integration: { type: 'http_proxy', uri: 'http://127.0.0.1:9/q' },
        authorizer: 'jwt',
        authorizationScopes: ['s'],
      },
    ]);
    assert.deepEqual(full.authorizers, {
      FullJwt: {
        type: 'jwt',
        issuer: 'https://id.example.com',
        audiences: ['app'],
        jwksUri: 'http://127.0.0.1:1/keys',
      },
      lam: {
        type: 'function',
        function: './fn.js#auth',
        eventType: 'REQUEST',
        identitySource: ['$request.header.X-Id'],
        resultTtlSeconds: 0,
      },
    });
    assert.deepEqual(full.routes, [
      {
        route: 'GET /y',
        integration: { type: 'http_proxy', uri: 'http://127.0.0.1:9/y' },
        authorizer: 'FullJwt',
        authorizationScopes: ['read'],
      },
      { route: 'GET /c', integration: { type: 'http_proxy', uri: 'http://127.0.0.1:9/y' }, authorizer: 'lam' },
    ]);
    assert.match(
      report.format(),
      /approximated \/Resources\/Lam\/Properties\/IdentitySource {2}identitySource: "\$context.routeKey"/,
    );
    assert.match(
      report.format(),
      /approximated \/Resources\/Lam\/Properties\/AuthorizerPayloadFormatVersion {2}authorizerPayloadFormatVersion: the function gets the REST \(1.0\) REQUEST event/,
    );
    assert.match(
      report.format(),
      /unsupported {2}\/Resources\/WsAuth\/Properties\/ApiId {2}API: ApiId does not name an API imported from this template; ignored/,
    );
    for (const n of report.notes) assert.notEqual(resolvePointer(template, n.pointer), undefined, n.pointer);
    assert.match(
      report.format(),
      /unsupported {2}\/Resources\/Iam\/Properties\/AuthorizationType {2}AuthorizationType: IAM authorization/,
    );
    assert.match(
      report.format(),
      /unsupported {2}\/Resources\/Wrong\/Properties\/AuthorizerId {2}AuthorizerId: QuickJwt is not an authorizer of this API in the template; left out/,
    );
  });
});

describe('import → export → import keeps authorizers, keys, validation, CORS and binary media types', () => {
  test('a hand-written config', () => {
    const parsed = (c: Record<string, unknown>): PorticoConfig => loadConfigText(stringify(c), 'x.yaml', {}).config;
    const config = parsed({
      version: 1,
      apis: [
        {
          name: 'shop',
          type: 'rest',
          stages: { prod: {} },
          apiKeySource: 'AUTHORIZER',
          apiKeyHeader: 'x-shop-key',
          binaryMediaTypes: ['image/png'],
          cors: { allowOrigins: ['https://shop.example.com'], allowCredentials: true, maxAge: 10 },
          authorizers: {
            fn: {
              type: 'function',
              function: './auth.js#check',
              eventType: 'REQUEST',
              identitySource: ['$request.header.x-a'],
              resultTtlSeconds: 5,
            },
            pool: {
              type: 'jwt',
              issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P',
              verifyAudience: false,
              jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P/.well-known/jwks.json',
            },
            hook: { type: 'http', url: 'http://127.0.0.1:1/auth' },
          },
          models: {
            Item: {
              type: 'object',
              properties: { tags: { type: 'array', items: { $ref: '#/components/schemas/Tag' } } },
            },
            Tag: { type: 'string' },
          },
          requestValidators: { all: { validateRequestBody: true, validateRequestParameters: true } },
          requestValidator: 'all',
          routes: [
            { route: 'GET /items/{id}', integration: { type: 'mock' }, authorizer: 'hook' },
            {
              route: 'POST /items/{id}',
              integration: { type: 'mock' },
              authorizer: 'pool',
              authorizationScopes: ['items/write'],
              requestValidation: { requiredParameters: { header: ['x-t'], querystring: ['q'] }, bodyModel: 'Item' },
            },
            {
              route: 'PUT /items',
              integration: { type: 'mock' },
              authorizer: 'fn',
              apiKeyRequired: true,
              requestValidation: { bodySchema: { type: 'object' }, validateParameters: false },
            },
            { route: 'GET /open', integration: { type: 'mock' } },
          ],
        },
      ],
    });
    const doc = exportOpenApi(config) as Record<string, unknown> & {
      components: { securitySchemes: Record<string, Record<string, unknown>> };
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    assert.deepEqual(doc.components.securitySchemes.pool!['x-amazon-apigateway-authorizer'], {
      type: 'cognito_user_pools',
      providerARNs: ['arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_P'],
    });
    assert.deepEqual(doc.components.securitySchemes.api_key, { type: 'apiKey', name: 'x-shop-key', in: 'header' });
    assert.deepEqual(doc.paths['/items']!.put!.security, [{ fn: [], api_key: [] }]);
    assert.equal(doc['x-amazon-apigateway-api-key-source'], 'AUTHORIZER');
    assert.deepEqual(doc['x-amazon-apigateway-binary-media-types'], ['image/png']);
    assert.deepEqual(doc['x-amazon-apigateway-cors'], {
      allowOrigins: ['https://shop.example.com'],
      allowCredentials: true,
      maxAge: 10,
    });
    assert.equal(doc['x-amazon-apigateway-request-validator'], 'all');
    assert.deepEqual(doc.paths['/items/{id}']!.post!.requestBody, {
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
    });
    const again = importOpenApi(JSON.parse(JSON.stringify(doc)));
    assert.deepEqual(
      again.report.notes.filter((n) => n.level === 'unsupported'),
      [],
    );
    assert.deepEqual(parsed(again.config).apis, config.apis);
  });
});

describe('jwt authorizers: verifyAudience', () => {
  const cfg = (jwt: string) => `
version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    authorizers: { j: { type: jwt, issuer: "https://i.example", jwksUri: "http://127.0.0.1:1/k", ${jwt} } }
    routes: [{ route: GET /x, authorizer: j, integration: { type: mock } }]
`;
  test('audiences are required unless verifyAudience is false, and not both', async () => {
    await assert.rejects(
      compiles(parse(cfg('verifyAudience: true'))),
      /apis\[0\]\.authorizers\.j\.audiences: expected at least one audience \(or verifyAudience: false\)/,
    );
    await assert.rejects(
      compiles(parse(cfg('verifyAudience: false, audiences: [x]'))),
      /authorizers\.j\.verifyAudience: audiences are not checked with verifyAudience: false/,
    );
    await compiles(parse(cfg('verifyAudience: false')));
  });
});
