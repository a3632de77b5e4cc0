import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { GATEWAY_ERRORS } from '../src/kernel/gateway-errors.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/gateway.js';
import { call, type Reply } from './helpers/http-call.js';

// Gateway responses customised per API (reference §1.1) and AWS's literal integration-error bodies (§1.2).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function gateway(t: TestContext, yaml: string): Promise<TestGateway> {
  const gw = await startTestGateway(yaml);
  t.after(() => gw.close());
  return gw;
}

async function upstream(t: TestContext, handler?: Parameters<typeof startUpstream>[0]): Promise<TestUpstream> {
  const up = await startUpstream(handler);
  t.after(() => up.close());
  return up;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function requestId(r: Reply): string {
  const id = r.headers['x-amzn-requestid'];
  assert.match(String(id), UUID);
  assert.equal(r.headers['x-request-id'], id);
  return id as string;
}

/** Status, headers that matter and exact body of a gateway response. */
function assertResponse(
  r: Reply,
  want: {
    status: number;
    body: string;
    contentType?: string;
    errorType?: string | undefined;
    headers?: Record<string, string>;
  },
): void {
  assert.equal(r.status, want.status, `status (body ${r.body})`);
  assert.equal(r.body, want.body);
  assert.equal(r.headers['content-length'], String(Buffer.byteLength(want.body)));
  assert.equal(r.headers['content-type'], want.contentType ?? 'application/json');
  assert.equal(r.headers['x-amzn-errortype'], want.errorType);
  for (const [name, value] of Object.entries(want.headers ?? {})) assert.equal(r.headers[name], value, name);
  requestId(r);
}

test('a customised type: status, headers and body templates with $context and $stageVariables', async (t) => {
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: pets
    type: rest
    stages:
      prod: { variables: { team: pets-team } }
      beta: { variables: { team: beta-team } }
    routes:
      - route: GET /pets
        integration: { type: mock }
    gatewayResponses:
      MISSING_AUTHENTICATION_TOKEN:
        statusCode: 404
        headers:
          x-static: fixed
          x-request: $context.requestId
          x-team: team=$stageVariables.team
          x-ua: $context.identity.userAgent
        body: '{"error":$context.error.messageString,"raw":"$context.error.message","id":"\${context.requestId}","stage":"$context.stage","team":"$stageVariables.team","type":"$context.error.responseType","path":"$context.path","method":"$context.httpMethod","api":"$context.apiId"}'
`,
  );
  const r = await call(gw.port, 'POST', '/prod/nope?x=1', { 'user-agent': 'agent\tone' });
  const id = requestId(r);
  const body = `{"error":"Missing Authentication Token","raw":"Missing Authentication Token","id":"${id}","stage":"prod","team":"pets-team","type":"MISSING_AUTHENTICATION_TOKEN","path":"/prod/nope","method":"POST","api":"pets"}`;
  assertResponse(r, {
    status: 404,
    body,
    errorType: 'MissingAuthenticationTokenException',
    // Control characters (here a tab) are removed from rendered header values.
    headers: { 'x-static': 'fixed', 'x-request': id, 'x-team': 'team=pets-team', 'x-ua': 'agentone' },
  });

  // Per stage: the other stage's variables.
  const beta = await call(gw.port, 'GET', '/beta/nope');
  assert.equal(beta.status, 404);
  assert.equal(beta.headers['x-team'], 'team=beta-team');
  assert.equal((JSON.parse(beta.body) as { stage: string; team: string }).stage, 'beta');
  assert.equal((JSON.parse(beta.body) as { stage: string; team: string }).team, 'beta-team');

  // HEAD gets the status and headers without the body.
  const head = await call(gw.port, 'HEAD', '/prod/nope');
  assert.equal(head.status, 404);
  assert.equal(head.body, '');
  assert.equal(head.headers['x-static'], 'fixed');
});

test('a custom contentType, and a customisation that only sets the status keeps the default template', async (t) => {
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: books
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /books
        integration: { type: mock }
    gatewayResponses:
      RESOURCE_NOT_FOUND:
        contentType: text/plain; charset=utf-8
        body: 'nothing at $context.path'
  - name: pets
    type: rest
    basePath: /rest
    stages: { prod: {} }
    routes:
      - route: GET /pets
        integration: { type: mock }
    gatewayResponses:
      MISSING_AUTHENTICATION_TOKEN: { statusCode: 404 }
`,
  );
  assertResponse(await call(gw.port, 'GET', '/nope'), {
    status: 404,
    body: 'nothing at /nope',
    contentType: 'text/plain; charset=utf-8',
    errorType: undefined,
  });
  assertResponse(await call(gw.port, 'GET', '/rest/prod/nope'), {
    status: 404,
    body: '{"message":"Missing Authentication Token"}',
    errorType: 'MissingAuthenticationTokenException',
  });
});

test('DEFAULT_4XX applies to MISSING_AUTHENTICATION_TOKEN when that type is not customised', async (t) => {
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /pets
        integration: { type: mock }
    gatewayResponses:
      DEFAULT_4XX:
        statusCode: 400
        headers: { access-control-allow-origin: "*" }
        body: '{"fault":$context.error.messageString,"type":"$context.error.responseType"}'
`,
  );
  assertResponse(await call(gw.port, 'GET', '/prod/nope'), {
    status: 400,
    body: '{"fault":"Missing Authentication Token","type":"MISSING_AUTHENTICATION_TOKEN"}',
    errorType: 'MissingAuthenticationTokenException',
    headers: { 'access-control-allow-origin': '*' },
  });
});

test('DEFAULT_4XX without a statusCode keeps the type’s own status', async (t) => {
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: books
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /books
        integration: { type: mock }
    gatewayResponses:
      DEFAULT_4XX:
        headers: { x-default-4xx: "yes" }
`,
  );
  assertResponse(await call(gw.port, 'GET', '/nope'), {
    status: 404,
    body: '{"message":"Not Found"}',
    errorType: undefined,
    headers: { 'x-default-4xx': 'yes' },
  });
});

test('an explicitly customised type beats DEFAULT_4XX', async (t) => {
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /pets
        integration: { type: mock }
    gatewayResponses:
      DEFAULT_4XX:
        statusCode: 400
        headers: { x-from: default }
        body: '{"from":"DEFAULT_4XX"}'
      MISSING_AUTHENTICATION_TOKEN:
        statusCode: 404
        body: '{"from":"MISSING_AUTHENTICATION_TOKEN"}'
`,
  );
  const r = await call(gw.port, 'GET', '/prod/nope');
  assertResponse(r, {
    status: 404,
    body: '{"from":"MISSING_AUTHENTICATION_TOKEN"}',
    errorType: 'MissingAuthenticationTokenException',
  });
  assert.equal(r.headers['x-from'], undefined, 'nothing is merged in from DEFAULT_4XX');
});

test('customisations belong to their API: another API on the listener keeps the defaults', async (t) => {
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: custom
    type: rest
    basePath: /custom
    stages: { prod: {} }
    routes: [{ route: GET /x, integration: { type: mock } }]
    gatewayResponses:
      DEFAULT_4XX: { statusCode: 418, body: custom }
  - name: plain
    type: rest
    basePath: /plain
    stages: { prod: {} }
    routes: [{ route: GET /x, integration: { type: mock } }]
`,
  );
  assertResponse(await call(gw.port, 'GET', '/custom/prod/y'), {
    status: 418,
    body: 'custom',
    errorType: 'MissingAuthenticationTokenException',
  });
  assertResponse(await call(gw.port, 'GET', '/plain/prod/y'), {
    status: 403,
    body: '{"message":"Missing Authentication Token"}',
    errorType: 'MissingAuthenticationTokenException',
  });
});

test('REQUEST_TOO_LARGE keeps its default even when customised, as on AWS', async (t) => {
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
server:
  limits: { maxBodyBytes: 10 }
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - route: POST /pets
        integration: { type: mock }
    gatewayResponses:
      REQUEST_TOO_LARGE: { statusCode: 400, body: custom }
      DEFAULT_4XX: { statusCode: 400, body: custom }
`,
  );
  const r = await call(gw.port, 'POST', '/prod/pets', { 'content-type': 'text/plain' }, 'x'.repeat(100));
  assertResponse(r, {
    status: 413,
    body: '{"message":"Request Too Long"}',
    errorType: GATEWAY_ERRORS.REQUEST_TOO_LARGE.errorType,
  });
});

test('integration failures keep AWS’s literal bodies when not customised', async (t) => {
  const hang = await upstream(t, () => {
    // Never answers; the gateway's integration timeout ends the request.
  });
  const port = await closedPort();
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: rest-api
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /down
        integration: { type: http_proxy, uri: "http://127.0.0.1:${port}/down" }
      - route: GET /slow
        integration: { type: http_proxy, uri: "${hang.url}/slow", timeoutMs: 200 }
  - name: http-api
    type: http
    basePath: /h
    stages: { $default: {} }
    routes:
      - route: GET /down
        integration: { type: http_proxy, uri: "http://127.0.0.1:${port}/down" }
      - route: GET /slow
        integration: { type: http_proxy, uri: "${hang.url}/slow", timeoutMs: 200 }
`,
  );
  assertResponse(await call(gw.port, 'GET', '/prod/down'), {
    status: 500,
    body: '{"message": "Internal server error"}',
    errorType: 'InternalServerErrorException',
  });
  assertResponse(await call(gw.port, 'GET', '/prod/slow'), {
    status: 504,
    body: '{"message": "Endpoint request timed out"}',
    errorType: GATEWAY_ERRORS.INTEGRATION_TIMEOUT.errorType,
  });
  assertResponse(await call(gw.port, 'GET', '/h/down'), {
    status: 500,
    body: '{"message":"Internal Server Error"}',
    errorType: undefined,
  });
  assertResponse(await call(gw.port, 'GET', '/h/slow'), {
    status: 504,
    body: '{"message": "Endpoint request timed out"}',
    errorType: undefined,
  });
  assert.equal(hang.requests.length, 2, 'the slow upstream was asked twice');
});

test('DEFAULT_5XX customises integration failures; an explicit INTEGRATION_TIMEOUT beats it', async (t) => {
  const hang = await upstream(t, () => {});
  const port = await closedPort();
  const gw = await gateway(
    t,
    `version: 1
admin: { enabled: false }
apis:
  - name: rest-api
    type: rest
    stages: { prod: { variables: { contact: ops@example.com } } }
    routes:
      - route: GET /down
        integration: { type: http_proxy, uri: "http://127.0.0.1:${port}/down" }
      - route: GET /slow
        integration: { type: http_proxy, uri: "${hang.url}/slow", timeoutMs: 200 }
    gatewayResponses:
      DEFAULT_5XX:
        statusCode: 502
        body: '{"error":$context.error.messageString,"contact":"$stageVariables.contact","id":"$context.requestId"}'
      INTEGRATION_TIMEOUT:
        body: '{"error":"slow","type":"$context.error.responseType"}'
`,
  );
  const down = await call(gw.port, 'GET', '/prod/down');
  assertResponse(down, {
    status: 502,
    body: `{"error":"Internal server error","contact":"ops@example.com","id":"${requestId(down)}"}`,
    errorType: 'InternalServerErrorException',
  });
  assertResponse(await call(gw.port, 'GET', '/prod/slow'), {
    status: 504,
    body: '{"error":"slow","type":"INTEGRATION_TIMEOUT"}',
    errorType: GATEWAY_ERRORS.INTEGRATION_TIMEOUT.errorType,
  });
});
