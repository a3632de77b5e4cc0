import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { writeHandlers } from './function-helpers.js';

// The Lambda proxy contract of a REST API against LocalStack's recordings on real AWS,
// test/fixtures/aws-recorded/localstack_localstack__tests__aws__services__apigateway__test_apigateway_lambda.snapshot.json.

const SNAPSHOT = JSON.parse(
  readFileSync(
    join(
      import.meta.dirname,
      '..',
      'fixtures',
      'aws-recorded',
      'localstack_localstack__tests__aws__services__apigateway__test_apigateway_lambda.snapshot.json',
    ),
    'utf8',
  ),
) as Record<string, { 'recorded-content': Record<string, Record<string, unknown>> }>;
function recorded(test: string, name: string): Record<string, unknown> {
  const key = Object.keys(SNAPSHOT).find((k) => k.endsWith(`::${test}`));
  assert.ok(key, test);
  return SNAPSHOT[key]!['recorded-content'][name]!;
}

describe('function integration (REST): as recorded on AWS', () => {
  let h: Awaited<ReturnType<typeof writeHandlers>>;
  let t: TestGateway;
  before(async () => {
    h = await writeHandlers();
    t = await startTestGateway(`
version: 1
apis:
  - name: lambdarest
    type: rest
    stages: { stage: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
      - route: POST /from-body
        integration: { type: function, handler: ${h.path('from-body.mjs')}#handler }
`);
  });
  after(async () => {
    await t.close();
    await h.close();
  });

  const event = async (headers: Record<string, string>) => {
    const r = await call(t.port, 'GET', '/stage/proxy-value', headers);
    assert.equal(r.status, 200);
    return JSON.parse(r.body).event as {
      headers: Record<string, string>;
      multiValueHeaders: Record<string, string[]>;
      requestContext: { identity: Record<string, unknown> };
    };
  };

  it('a client authorization header arrives as Authorization, other names keep their case (recorded: test_lambda_aws_proxy_integration)', async () => {
    const rec = recorded('test_lambda_aws_proxy_integration', 'invocation-payload-without-trailing-slash') as {
      headers: Record<string, string>;
    };
    // LocalStack's invoke_api sent `tEsT-HEADeR: aValUE` and `authorization: random-value`.
    for (const spelling of ['authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn']) {
      const e = await event({ 'tEsT-HEADeR': 'aValUE', [spelling]: 'random-value' });
      assert.equal(e.headers.Authorization, rec.headers.Authorization, spelling);
      assert.deepEqual(e.multiValueHeaders.Authorization, [rec.headers.Authorization]);
      assert.equal(e.headers['tEsT-HEADeR'], rec.headers['tEsT-HEADeR']);
      assert.deepEqual(
        Object.keys(e.headers).filter((n) => n.toLowerCase() === 'authorization'),
        ['Authorization'],
      );
    }
  });

  it('X-Forwarded-For, -Port and -Proto are present as AWS adds them (recorded: test_lambda_aws_proxy_integration)', async () => {
    const rec = recorded('test_lambda_aws_proxy_integration', 'invocation-payload-without-trailing-slash') as {
      headers: Record<string, string>;
    };
    const names = ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto'];
    for (const n of names) assert.ok(n in rec.headers, n);
    const e = await event({ 'x-forwarded-proto': 'gopher', 'X-Forwarded-For': '203.0.113.7' });
    for (const n of names) assert.ok(n in e.headers && n in e.multiValueHeaders, n);
    // One spelling each, the client's lower-case copies replaced.
    assert.deepEqual(
      Object.keys(e.headers).filter((n) => n.toLowerCase().startsWith('x-forwarded-')),
      names.filter((n) => n in e.headers),
    );
    assert.equal(e.headers['X-Forwarded-For'], '203.0.113.7, 127.0.0.1');
    assert.equal(e.headers['X-Forwarded-Port'], String(t.port));
    assert.equal(e.headers['X-Forwarded-Proto'], 'http');
  });

  it('requestContext.identity has exactly the fields AWS sends (recorded: test_lambda_aws_proxy_integration)', async () => {
    const rec = recorded('test_lambda_aws_proxy_integration', 'invocation-payload-without-trailing-slash') as {
      requestContext: { identity: Record<string, unknown> };
    };
    const e = await event({ 'User-Agent': 'python-requests/testing' });
    assert.deepEqual(Object.keys(e.requestContext.identity).sort(), Object.keys(rec.requestContext.identity).sort());
    for (const [k, v] of Object.entries(rec.requestContext.identity))
      if (k !== 'sourceIp') assert.equal(e.requestContext.identity[k], v, k);
    assert.equal(e.requestContext.identity.sourceIp, '127.0.0.1');
  });

  it('a header in both headers and multiValueHeaders: the multi values, then the single one, joined by ", " (recorded: test_aws_proxy_response_payload_format_validation)', async () => {
    const cases: [string, unknown][] = [
      [
        'invoke-api-multi-headers-valid',
        { statusCode: 200, multiValueHeaders: { 'test-multi': ['value1', 'value2'] } },
      ],
      [
        'invoke-api-multi-headers-overwrite',
        {
          statusCode: 200,
          multiValueHeaders: { 'test-multi': ['value-multi'] },
          headers: { 'test-multi': 'value-solo' },
        },
      ],
      [
        'invoke-api-multi-headers-overwrite-casing',
        {
          statusCode: 200,
          multiValueHeaders: { 'tesT-Multi': ['value-multi'] },
          headers: { 'test-multi': 'value-solo' },
        },
      ],
    ];
    for (const [name, result] of cases) {
      const rec = recorded('test_aws_proxy_response_payload_format_validation', name) as {
        headers: Record<string, string>;
      };
      const want = Object.entries(rec.headers).find(([k]) => k.toLowerCase() === 'test-multi')![1];
      const r = await call(
        t.port,
        'POST',
        '/stage/from-body',
        { 'Content-Type': 'application/json' },
        JSON.stringify(result),
      );
      assert.equal(r.status, 200, name);
      assert.equal(r.headers['test-multi'], want, name);
    }
  });
});
