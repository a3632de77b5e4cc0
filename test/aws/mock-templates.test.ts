import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigText, compileConfig } from '../../src/features.js';
import { createLogger } from '../../src/logger.js';
import { createRuntimeDeps } from '../../src/pipeline/policy.js';
import { PoolRegistry } from '../../src/forward/pools.js';
import { startTestGateway } from '../helpers/gateway.js';

// Mock integrations' response templates: $context, $stageVariables and $input.params() are substituted.
const BODY = `{"id":"$input.params('id')","q":"$input.params().querystring.q","h":"$input.params('X-Tenant')","any":"$input.params('q')","stage":"$context.stage","v":"$stageVariables.colour","rid":"$context.requestId","none":"$input.params('nope')"}`;

test('a mock body renders $input.params(), $context and $stageVariables per request; a body without them is sent as is', async (t) => {
  const gw = await startTestGateway(
    [
      'version: 1',
      'apis:',
      '  - name: mocks',
      '    type: rest',
      '    stages: { prod: { variables: { colour: blue } } }',
      '    routes:',
      `      - route: GET /items/{id}`,
      `        integration: { type: mock, statusCode: 200, body: ${JSON.stringify(BODY)} }`,
      `      - route: GET /static`,
      `        integration: { type: mock, statusCode: 201, body: '{"price":"$5"}' }`,
      '',
    ].join('\n'),
  );
  t.after(() => gw.close());
  const r = await fetch(`${gw.url}/prod/items/a%20b?q=cats`, { headers: { 'x-tenant': 't1' } });
  assert.equal(r.status, 200);
  const body = (await r.json()) as Record<string, string>;
  assert.deepEqual(
    { ...body, rid: undefined },
    { id: 'a b', q: 'cats', h: 't1', any: 'cats', stage: 'prod', v: 'blue', rid: undefined, none: '' },
  );
  assert.equal(body.rid, r.headers.get('x-amzn-requestid'));
  assert.equal(r.headers.get('content-length'), String(Buffer.byteLength(JSON.stringify(body))));
  const s = await fetch(`${gw.url}/prod/static`);
  assert.equal(s.status, 201);
  assert.equal(await s.text(), '{"price":"$5"}');
});

test('a mock body with an unknown $context variable or an unnamed $input.params() is a config error at its body', () => {
  for (const [body, re] of [
    ['{"x":"$context.nope"}', /apis\[0\]\.routes\[0\]\.integration\.body: unknown variable \$context\.nope/],
    ['{"x":"$input.params()"}', /apis\[0\]\.routes\[0\]\.integration\.body: \$input\.params\(\): name the parameter/],
  ] as const) {
    const text = `version: 1\napis:\n  - name: m\n    type: http\n    stages: { $default: {} }\n    routes:\n      - route: GET /a\n        integration: { type: mock, body: ${JSON.stringify(body)} }\n`;
    assert.throws(
      () =>
        compileConfig(loadConfigText(text, 'm.yaml', {}), {
          runtime: createRuntimeDeps({ pools: new PoolRegistry(), log: createLogger('silent') }),
          revision: 1,
        }),
      (err: unknown) => err instanceof ConfigError && re.test(err.message),
    );
  }
});
