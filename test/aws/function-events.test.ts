import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { writeHandlers } from './function-helpers.js';

const CLF = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;

describe('function integration: the proxy event, field for field', () => {
  let h: Awaited<ReturnType<typeof writeHandlers>>;
  let t: TestGateway;

  before(async () => {
    h = await writeHandlers();
    t = await startTestGateway(`
version: 1
apis:
  - name: petsrest
    type: rest
    arn: { accountId: '111111111111', apiId: abc123 }
    stages:
      test: { variables: { color: blue } }
    routes:
      - route: ANY /pets/{id}
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
      - route: GET /plain
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
  - name: petshttp
    type: http
    basePath: /h
    stages:
      $default: {}
    routes:
      - route: POST /pets/{id}
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
      - route: $default
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
      - route: GET /v1/{proxy+}
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler, payloadFormatVersion: '1.0' }
`);
  });
  after(async () => {
    await t.close();
    await h.close();
  });

  it('payload 1.0 (REST): every field, nulls for absent maps, raw path parameters', async () => {
    const r = await call(
      t.port,
      'POST',
      '/test/pets/a%20b?x=1&x=2&y=z',
      { 'Content-Type': 'application/json', 'X-Multi': 'one', 'user-agent': 'ua/1', Accept: '*/*' },
      '{"name":"rex"}',
    );
    assert.equal(r.status, 200);
    const { event, context } = JSON.parse(r.body);
    const requestId = r.headers['x-amzn-requestid'] as string;
    const rc = event.requestContext;
    assert.match(rc.requestTime, CLF);
    assert.equal(typeof rc.requestTimeEpoch, 'number');
    assert.match(rc.deploymentId, /^[a-z0-9]{6}$/);
    assert.match(rc.resourceId, /^[a-z0-9]{6}$/);
    const host = `127.0.0.1:${t.port}`;
    assert.deepEqual(event, {
      resource: '/pets/{id}',
      path: '/pets/a%20b',
      httpMethod: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Multi': 'one',
        'user-agent': 'ua/1',
        Accept: '*/*',
        Host: host,
        Connection: 'close',
        'Content-Length': '14',
        'X-Forwarded-For': '127.0.0.1',
        'X-Forwarded-Port': String(t.port),
        'X-Forwarded-Proto': 'http',
      },
      multiValueHeaders: {
        'Content-Type': ['application/json'],
        'X-Multi': ['one'],
        'user-agent': ['ua/1'],
        Accept: ['*/*'],
        Host: [host],
        Connection: ['close'],
        'Content-Length': ['14'],
        'X-Forwarded-For': ['127.0.0.1'],
        'X-Forwarded-Port': [String(t.port)],
        'X-Forwarded-Proto': ['http'],
      },
      queryStringParameters: { x: '2', y: 'z' },
      multiValueQueryStringParameters: { x: ['1', '2'], y: ['z'] },
      pathParameters: { id: 'a%20b' },
      stageVariables: { color: 'blue' },
      requestContext: {
        accountId: '111111111111',
        apiId: 'abc123',
        deploymentId: rc.deploymentId,
        domainName: '127.0.0.1',
        domainPrefix: '127',
        extendedRequestId: r.headers['x-amz-apigw-id'],
        httpMethod: 'POST',
        identity: {
          accessKey: null,
          accountId: null,
          caller: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: '127.0.0.1',
          user: null,
          userAgent: 'ua/1',
          userArn: null,
        },
        path: '/test/pets/a%20b',
        protocol: 'HTTP/1.1',
        requestId,
        requestTime: rc.requestTime,
        requestTimeEpoch: rc.requestTimeEpoch,
        resourceId: rc.resourceId,
        resourcePath: '/pets/{id}',
        stage: 'test',
      },
      body: '{"name":"rex"}',
      isBase64Encoded: false,
    });
    assert.deepEqual(context, {
      awsRequestId: requestId,
      functionName: 'echo',
      memoryLimitInMB: '128',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:echo',
      functionVersion: '$LATEST',
      remaining: true,
    });
  });

  it('payload 1.0: no query, no body, no path parameters → nulls', async () => {
    const r = await call(t.port, 'GET', '/test/plain');
    const { event } = JSON.parse(r.body);
    assert.equal(event.queryStringParameters, null);
    assert.equal(event.multiValueQueryStringParameters, null);
    assert.equal(event.pathParameters, null);
    assert.equal(event.body, null);
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.resource, '/plain');
  });

  it('payload 2.0 (HTTP API): every field, lower-case comma-joined headers, cookies apart, absent fields left out', async () => {
    const r = await call(
      t.port,
      'POST',
      '/h/pets/7?a=1&a=2&b=',
      { 'Content-Type': 'text/plain', Cookie: 'c1=v1; c2=v2', 'User-Agent': 'ua/2' },
      'hello',
    );
    assert.equal(r.status, 200);
    const { event } = JSON.parse(r.body);
    const requestId = r.headers['x-amzn-requestid'] as string;
    const rc = event.requestContext;
    assert.match(rc.time, CLF);
    assert.equal(typeof rc.timeEpoch, 'number');
    const host = `127.0.0.1:${t.port}`;
    assert.deepEqual(event, {
      version: '2.0',
      routeKey: 'POST /pets/{id}',
      rawPath: '/h/pets/7',
      rawQueryString: 'a=1&a=2&b=',
      cookies: ['c1=v1', 'c2=v2'],
      headers: { 'content-type': 'text/plain', 'user-agent': 'ua/2', host, connection: 'close', 'content-length': '5' },
      queryStringParameters: { a: '1,2', b: '' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'petshttp',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: { method: 'POST', path: '/h/pets/7', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'ua/2' },
        requestId,
        routeKey: 'POST /pets/{id}',
        stage: '$default',
        time: rc.time,
        timeEpoch: rc.timeEpoch,
      },
      body: 'hello',
      pathParameters: { id: '7' },
      isBase64Encoded: false,
    });
  });

  it('payload 2.0: $default route, binary body base64-encoded', async () => {
    const r = await call(t.port, 'PUT', '/h/anything/else', { 'Content-Type': 'application/octet-stream' }, 'raw');
    const { event } = JSON.parse(r.body);
    assert.equal(event.routeKey, '$default');
    assert.equal(event.requestContext.routeKey, '$default');
    assert.equal(event.isBase64Encoded, true);
    assert.equal(event.body, Buffer.from('raw').toString('base64'));
    assert.equal('pathParameters' in event, false);
    assert.equal('queryStringParameters' in event, false);
    assert.equal('cookies' in event, false);
    assert.equal('stageVariables' in event, false);
  });

  it('an HTTP API route may ask for payload 1.0', async () => {
    const r = await call(t.port, 'GET', '/h/v1/a/b');
    const { event } = JSON.parse(r.body);
    assert.equal(event.resource, '/v1/{proxy+}');
    assert.deepEqual(event.pathParameters, { proxy: 'a/b' });
    assert.equal(event.requestContext.stage, '$default');
    assert.equal('version' in event, false);
  });
});
