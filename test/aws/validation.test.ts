import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

/** Echoes the request body it got, so a test can see the validated body was replayed upstream. */
function echoBody(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({
      data: 'ok',
      got: Buffer.concat(chunks).toString('utf8'),
      te: req.headers['transfer-encoding'] ?? null,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

describe("request validation: AWS's messages byte for byte (recorded in LS-SNAP-common)", () => {
  let up: TestUpstream;
  let t: TestGateway;

  before(async () => {
    up = await startUpstream(echoBody);
    t = await startTestGateway(`
version: 1
apis:
  - name: v
    type: rest
    stages: { test: {} }
    requestValidators:
      all: { validateRequestBody: true, validateRequestParameters: true }
      params-only: { validateRequestParameters: true }
      none: {}
    requestValidator: all
    models:
      testSchema:
        $schema: http://json-schema.org/draft-04/schema#
        title: testSchema
        type: object
        properties: { a: { type: number }, b: { type: number } }
        required: [a, b]
      testSchemaList:
        type: array
        items: { $ref: 'https://apigateway.amazonaws.com/restapis/abc123/models/testSchema' }
      StatusModel:
        type: object
        properties: { Status: { type: string }, Order: { type: integer } }
        required: [Status, Order]
      TestModel:
        type: object
        properties:
          status:
            oneOf: [ { type: 'null' }, { $ref: '#/models/StatusModel' } ]
        required: [status]
      Tree:
        type: object
        properties:
          name: { type: string }
          children: { type: array, items: { $ref: '#/definitions/Tree' } }
        required: [name]
    routes:
      # The recorded test: the method requires method.request.path.issuer on a resource named {test}.
      - route: ANY /{test}
        integration: { type: http_proxy, uri: '${up.url}/{test}' }
        requestValidation:
          requiredParameters: { header: [x-header-param], path: [issuer], querystring: [qs1] }
          bodyModel: testSchema
      - route: ANY /named/{issuer}
        integration: { type: http_proxy, uri: '${up.url}/named/{issuer}' }
        requestValidation:
          requiredParameters: { header: [x-header-param], path: [issuer], querystring: [qs1] }
          bodyModel: testSchema
      - route: POST /list
        integration: { type: http_proxy, uri: '${up.url}/list' }
        requestValidation: { bodyModel: testSchemaList }
      - route: POST /oneof
        integration: { type: http_proxy, uri: '${up.url}/oneof' }
        requestValidation: { bodyModel: TestModel }
      - route: POST /tree
        integration: { type: http_proxy, uri: '${up.url}/tree' }
        requestValidation: { bodyModel: Tree }
      - route: POST /params-only
        integration: { type: http_proxy, uri: '${up.url}/p' }
        requestValidation: { validator: params-only, requiredParameters: { querystring: [q] }, bodyModel: testSchema }
      - route: POST /off
        integration: { type: http_proxy, uri: '${up.url}/off' }
        requestValidation: { validator: none, requiredParameters: { querystring: [q] }, bodyModel: testSchema }
      - route: POST /inline
        integration: { type: mock, statusCode: 200, body: fine }
        requestValidation:
          bodySchema: { type: object, properties: { n: { type: integer, minimum: 1 } }, required: [n] }
`);
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  const json = { 'content-type': 'application/json' };

  it('all missing: "Missing required request parameters: [x-header-param, issuer, qs1]"', async () => {
    const r = await call(t.port, 'POST', '/test/abc', json, '{"a":1,"b":2}');
    assert.equal(r.status, 400);
    assert.equal(r.body, '{"message":"Missing required request parameters: [x-header-param, issuer, qs1]"}');
    assert.equal(r.headers['x-amzn-errortype'], 'BadRequestException');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(up.requests.length, 0);
  });

  it('only the header missing, only the query string missing', async () => {
    let r = await call(t.port, 'GET', '/test/named/x?qs1=1');
    assert.equal(r.body, '{"message":"Missing required request parameters: [x-header-param]"}');
    r = await call(t.port, 'GET', '/test/named/x', { 'X-Header-Param': 'v' });
    assert.equal(r.body, '{"message":"Missing required request parameters: [qs1]"}');
    r = await call(t.port, 'GET', '/test/named/x?qs1=', { 'x-header-param': 'v' });
    assert.equal(
      r.body,
      '{"message":"Missing required request parameters: [qs1]"}',
      'an empty value counts as missing',
    );
  });

  it('parameters present, body checked against the model: "Invalid request body"', async () => {
    const h = { ...json, 'x-header-param': 'v' };
    let r = await call(t.port, 'POST', '/test/named/x?qs1=1', h, '{"a":"not a number","b":2}');
    assert.equal(r.status, 400);
    assert.equal(r.body, '{"message":"Invalid request body"}');
    assert.equal(r.headers['x-amzn-errortype'], 'BadRequestException');
    r = await call(t.port, 'POST', '/test/named/x?qs1=1', h, 'not json');
    assert.equal(r.body, '{"message":"Invalid request body"}');
    r = await call(t.port, 'POST', '/test/named/x?qs1=1', h);
    assert.equal(r.body, '{"message":"Invalid request body"}', 'no body is checked as {}');
    r = await call(t.port, 'POST', '/test/named/x?qs1=1', h, '{"a":1,"b":2}');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { data: 'ok', got: '{"a":1,"b":2}', te: null });
  });

  it("a body that is not the model's content type is not checked", async () => {
    const r = await call(
      t.port,
      'POST',
      '/test/named/x?qs1=1',
      { 'content-type': 'text/plain', 'x-header-param': 'v' },
      'free text',
    );
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).got, 'free text');
  });

  it('a model referencing another by its AWS URL (test_api_gateway_request_validator_with_ref_models)', async () => {
    let r = await call(t.port, 'POST', '/test/list', json, '[{"a":1,"b":2},{"a":3,"b":4}]');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).data, 'ok');
    r = await call(t.port, 'POST', '/test/list', json, '[{"a":1,"b":2},{"a":3}]');
    assert.equal(r.status, 400);
    assert.equal(r.body, '{"message":"Invalid request body"}');
  });

  it('oneOf null | $ref model (test_api_gateway_request_validator_with_ref_one_ofmodels)', async () => {
    for (const [body, ok] of [
      ['{"status":null}', true],
      ['{"status":{"Status":"done","Order":1}}', true],
      ['{}', false],
      ['{"status":{"Status":"done","Order":"first"}}', false],
    ] as const) {
      const r = await call(t.port, 'POST', '/test/oneof', json, body);
      assert.equal(r.status, ok ? 200 : 400, body);
      if (!ok) assert.equal(r.body, '{"message":"Invalid request body"}');
    }
  });

  it('a recursive model', async () => {
    let r = await call(
      t.port,
      'POST',
      '/test/tree',
      json,
      '{"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]}',
    );
    assert.equal(r.status, 200);
    r = await call(
      t.port,
      'POST',
      '/test/tree',
      json,
      '{"name":"a","children":[{"name":"b","children":[{"nom":"c"}]}]}',
    );
    assert.equal(r.status, 400);
  });

  it('a chunked body is buffered, checked and replayed upstream with a length', async () => {
    const res = await fetch(`http://127.0.0.1:${t.port}/test/named/x?qs1=1`, {
      method: 'POST',
      headers: { ...json, 'x-header-param': 'v' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"a":1,'));
          c.enqueue(new TextEncoder().encode('"b":2}'));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { data: 'ok', got: '{"a":1,"b":2}', te: null });
  });

  it('validators: params-only skips the body; a validator with nothing on checks nothing', async () => {
    let r = await call(t.port, 'POST', '/test/params-only', json, '{"bad":true}');
    assert.equal(r.body, '{"message":"Missing required request parameters: [q]"}');
    r = await call(t.port, 'POST', '/test/params-only?q=1', json, '{"bad":true}');
    assert.equal(r.status, 200);
    r = await call(t.port, 'POST', '/test/off', json, '{"bad":true}');
    assert.equal(r.status, 200);
  });

  it('an inline bodySchema', async () => {
    assert.equal((await call(t.port, 'POST', '/test/inline', json, '{"n":0}')).status, 400);
    const r = await call(t.port, 'POST', '/test/inline', json, '{"n":3}');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'fine');
  });

  it('BAD_REQUEST_BODY and BAD_REQUEST_PARAMETERS can be customised per API', async () => {
    const g = await startTestGateway(`
version: 1
apis:
  - name: c
    type: rest
    stages: { test: {} }
    gatewayResponses:
      BAD_REQUEST_BODY: { statusCode: 422, body: '{"error":$context.error.messageString}' }
      BAD_REQUEST_PARAMETERS: { headers: { x-why: params } }
    routes:
      - route: POST /x
        integration: { type: mock }
        requestValidation: { requiredParameters: { querystring: [q] }, bodySchema: { type: object, required: [k] } }
`);
    try {
      let r = await call(g.port, 'POST', '/test/x?q=1', json, '{}');
      assert.equal(r.status, 422);
      assert.equal(r.body, '{"error":"Invalid request body"}');
      r = await call(g.port, 'POST', '/test/x', json, '{}');
      assert.equal(r.status, 400);
      assert.equal(r.headers['x-why'], 'params');
      assert.equal(r.body, '{"message":"Missing required request parameters: [q]"}');
    } finally {
      await g.close();
    }
  });
});

describe('request validation behind WAF body inspection', () => {
  it('a body longer than the WAF inspection limit (its stream paused and unshifted) is still read whole and validated', async () => {
    const up = await startUpstream(echoBody);
    const t = await startTestGateway(`
version: 1
apis:
  - name: w
    type: rest
    stages: { test: {} }
    waf:
      defaultAction: { allow: {} }
      bodyInspectionLimitKb: 8
      rules:
        - name: sqli
          priority: 1
          overrideAction: { none: {} }
          statement: { managedRuleGroupStatement: { name: PorticoSQLiRuleSet } }
    routes:
      - route: POST /x
        integration: { type: http_proxy, uri: '${up.url}/x' }
        requestValidation: { bodySchema: { type: object, required: [pad] } }
`);
    try {
      const big = JSON.stringify({ pad: 'a'.repeat(20000) });
      const r = await call(t.port, 'POST', '/test/x', { 'content-type': 'application/json' }, big);
      assert.equal(r.status, 200, r.body);
      assert.equal(JSON.parse(r.body).got, big);
      const bad = await call(
        t.port,
        'POST',
        '/test/x',
        { 'content-type': 'application/json' },
        JSON.stringify({ other: 'a'.repeat(20000) }),
      );
      assert.equal(bad.body, '{"message":"Invalid request body"}');
    } finally {
      await t.close();
      await up.close();
    }
  });
});
