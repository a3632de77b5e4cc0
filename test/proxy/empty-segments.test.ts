import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfigText } from '../../src/features.js';
import { importCloudFormation } from '../../src/import/cloudformation.js';
import { importOpenApi } from '../../src/import/openapi.js';
import { writeHandlers } from '../aws/function-helpers.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

/**
 * Paths with `//` (issue #20, docs/routing.md#empty-segments). The AWS behaviour reproduced is LocalStack's
 * AWS-validated test_lambda_aws_proxy_integration (tests/aws/services/apigateway/test_apigateway_lambda.py,
 * snapshot recorded against AWS on 2024-08-02): on a REST API with `/{proxy+}` and `/hardcoded`,
 * - `/stage//hardcoded` reaches `/hardcoded` (path `/hardcoded`, requestContext.path `/stage//hardcoded`);
 * - `/stage//proxy-value` gives proxy `proxy-value`, path `/proxy-value`;
 * - `//stage/proxy-value` gives path `/proxy-value`, requestContext.path `/stage/proxy-value`;
 * - `/stage/proxy-value//double-slash` gives proxy `proxy-value//double-slash`, path `/proxy-value//double-slash`.
 */
function restYaml(origin: string, mode: string): string {
  return `
version: 1
apis:
  - name: shop
    type: rest
${mode}    stages: { stage: {} }
    routes:
      - route: GET /hardcoded
        integration: { type: http_proxy, uri: "${origin}/backend/hardcoded" }
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${origin}/backend/{proxy}" }
`;
}

describe('paths with // (emptySegments)', () => {
  let up: TestUpstream;
  before(async () => {
    up = await startUpstream();
  });
  after(() => up.close());

  async function seen(gw: TestGateway, path: string): Promise<{ status: number; upstream?: string }> {
    const before = up.requests.length;
    const r = await call(gw.port, 'GET', path);
    return { status: r.status, upstream: up.requests[before]?.url };
  }

  it('a hand-written config keeps the strict default: 400, nothing reaches the upstream', async (t) => {
    const gw = await startTestGateway(restYaml(up.url, ''));
    t.after(() => gw.close());
    for (const path of ['/stage//hardcoded', '//stage/hardcoded', '/stage/a//b']) {
      assert.deepEqual(await seen(gw, path), { status: 400, upstream: undefined }, path);
    }
    assert.equal((await seen(gw, '/stage/hardcoded')).upstream, '/backend/hardcoded');
  });

  it('emptySegments: reject is the same 400', async (t) => {
    const gw = await startTestGateway(restYaml(up.url, '    emptySegments: reject\n'));
    t.after(() => gw.close());
    assert.equal((await seen(gw, '/stage//hardcoded')).status, 400);
  });

  it('emptySegments: aws: /stage//x reaches resource /x; a greedy value keeps its //', async (t) => {
    const gw = await startTestGateway(restYaml(up.url, '    emptySegments: aws\n'));
    t.after(() => gw.close());
    assert.deepEqual(await seen(gw, '/stage//hardcoded'), { status: 200, upstream: '/backend/hardcoded' });
    assert.deepEqual(await seen(gw, '//stage/hardcoded'), { status: 200, upstream: '/backend/hardcoded' });
    assert.deepEqual(await seen(gw, '/stage//proxy-value'), { status: 200, upstream: '/backend/proxy-value' });
    assert.deepEqual(await seen(gw, '/stage/proxy-value//double-slash?q=1'), {
      status: 200,
      upstream: '/backend/proxy-value//double-slash?q=1',
    });
    // Every other path rule holds in this mode too.
    for (const path of ['/stage//../hardcoded', '/stage//%2e%2e/x', '/stage/a%2f%2fb', '/stage//x;y']) {
      assert.deepEqual(await seen(gw, path), { status: 400, upstream: undefined }, path);
    }
  });

  it('emptySegments: aws: the Lambda proxy event carries path and requestContext.path as AWS recorded them', async (t) => {
    const h = await writeHandlers();
    t.after(() => h.close());
    const gw = await startTestGateway(`
version: 1
apis:
  - name: fn
    type: rest
    emptySegments: aws
    stages: { stage: {} }
    routes:
      - route: ANY /hardcoded
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
      - route: ANY /{proxy+}
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
`);
    t.after(() => gw.close());
    const event = async (path: string) => {
      const r = await call(gw.port, 'GET', path);
      assert.equal(r.status, 200, path);
      const e = JSON.parse(r.body).event;
      return {
        resource: e.resource,
        path: e.path,
        pathParameters: e.pathParameters,
        rcPath: e.requestContext.path,
        resourcePath: e.requestContext.resourcePath,
      };
    };
    assert.deepEqual(await event('/stage/proxy-value//double-slash'), {
      resource: '/{proxy+}',
      path: '/proxy-value//double-slash',
      pathParameters: { proxy: 'proxy-value//double-slash' },
      rcPath: '/stage/proxy-value//double-slash',
      resourcePath: '/{proxy+}',
    });
    assert.deepEqual(await event('//stage/proxy-value'), {
      resource: '/{proxy+}',
      path: '/proxy-value',
      pathParameters: { proxy: 'proxy-value' },
      rcPath: '/stage/proxy-value',
      resourcePath: '/{proxy+}',
    });
    assert.deepEqual(await event('/stage//proxy-value'), {
      resource: '/{proxy+}',
      path: '/proxy-value',
      pathParameters: { proxy: 'proxy-value' },
      rcPath: '/stage//proxy-value',
      resourcePath: '/{proxy+}',
    });
    assert.deepEqual(await event('/stage//hardcoded'), {
      resource: '/hardcoded',
      path: '/hardcoded',
      pathParameters: null,
      rcPath: '/stage//hardcoded',
      resourcePath: '/hardcoded',
    });
  });

  it('an API imported from OpenAPI or CloudFormation gets emptySegments: aws and serves //', async (t) => {
    const doc = {
      openapi: '3.0.1',
      info: { title: 'imported', version: '1' },
      paths: {
        '/items/{proxy+}': {
          get: {
            parameters: [{ name: 'proxy', in: 'path', required: true, schema: { type: 'string' } }],
            'x-amazon-apigateway-integration': {
              type: 'http_proxy',
              httpMethod: 'GET',
              uri: `${up.url}/items/{proxy}`,
              requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
            },
          },
        },
      },
    };
    const { config } = importOpenApi(doc, { stage: 'prod' });
    const api = (config.apis as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(api.emptySegments, 'aws');
    const gw = await startTestGateway(JSON.stringify(config));
    t.after(() => gw.close());
    assert.deepEqual(await seen(gw, '/prod//items/a//b'), { status: 200, upstream: '/items/a//b' });

    const cfn = importCloudFormation(
      JSON.stringify({
        Resources: {
          Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'h', ProtocolType: 'HTTP', Target: up.url } },
        },
      }),
    );
    assert.ok(
      (cfn.config.apis as Record<string, unknown>[]).every((a) => a.emptySegments === 'aws'),
      'every CloudFormation API is written with emptySegments: aws',
    );
  });

  it('a bad value is a located config error', () => {
    assert.throws(
      () => loadConfigText(restYaml(up.url, '    emptySegments: merge\n'), 'bad.yaml', {}),
      (err: Error) => /apis\[0\]\.emptySegments/.test(err.message) && /reject|aws/.test(err.message),
    );
  });

  it('in aws mode the WAF sees the path as received, as AWS WAF does: a rule needs NORMALIZE_PATH to match //admin', async (t) => {
    const rule = (name: string, priority: number, path: string, transforms: string) =>
      `        - name: ${name}
          priority: ${priority}
          action: { block: {} }
          statement: { byteMatchStatement: { searchString: ${path}, fieldToMatch: { uriPath: {} }, positionalConstraint: STARTS_WITH, textTransformations: [${transforms}] } }\n`;
    const waf =
      '    waf:\n      rules:\n' +
      rule('raw', 0, '/stage/admin', '{ priority: 0, type: NONE }') +
      rule('normalized', 1, '/stage/secret', '{ priority: 0, type: NORMALIZE_PATH }');
    const gw = await startTestGateway(restYaml(up.url, `    emptySegments: aws\n${waf}`));
    t.after(() => gw.close());
    // Both rules block the plain path.
    assert.equal((await seen(gw, '/stage/admin')).status, 403);
    assert.equal((await seen(gw, '/stage/secret')).status, 403);
    // Without a transformation, the raw rule does not see '/stage//admin' as '/stage/admin'; the route does.
    assert.deepEqual(await seen(gw, '/stage//admin'), { status: 200, upstream: '/backend/admin' });
    // NORMALIZE_PATH merges the slashes first, so the normalized rule still blocks.
    assert.deepEqual(await seen(gw, '/stage//secret'), { status: 403, upstream: undefined });
  });
});
