import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { validateCommand } from '../../src/cli/commands.js';
import { call } from '../helpers/http-call.js';
import { startTestGateway } from '../helpers/gateway.js';
import { admin, createKey } from './key-helpers.js';

/** `portico validate` in-process: exit code and every message. */
async function validate(dir: string, yaml: string): Promise<{ code: number; text: string }> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env: {} };
  try {
    return { code: await validateCommand(['-c', file], io), text: lines.join('\n') };
  } catch (err) {
    return { code: 1, text: (err as Error).message };
  }
}

const API = `apis:
  - name: pets
    type: rest
    stages:
      prod:
        routeThrottle: { "/pets/{id}/GET": { rate: 5, burst: 5 } }
    routes:
      - { route: "GET /pets/{id}", apiKeyRequired: true, integration: { type: mock } }
      - { route: "ANY /{proxy+}", integration: { type: mock } }
`;

describe('usage plans: config', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-plans-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a valid config with plans, route overrides and a global throttle validates', async () => {
    const r = await validate(
      dir,
      `version: 1
server: { throttle: { rate: 10000, burst: 5000 } }
usagePlans:
  gold:
    description: paying customers
    stages:
      pets/prod: { throttle: { "/pets/{id}/GET": { rate: 50, burst: 100 }, "/{proxy+}/ANY": { rate: 1, burst: 1 } } }
    throttle: { rate: 100, burst: 200 }
    quota: { limit: 100000, period: MONTH, offset: 0 }
${API}`,
    );
    assert.equal(r.code, 0, r.text);
  });

  test('every problem is reported with its path', async () => {
    const r = await validate(
      dir,
      `version: 1
usagePlans:
  bad:
    stages:
      nope/prod: {}
      pets/beta: {}
      pets/prod: { throttle: { "/cats/GET": { rate: 1, burst: 1 } } }
  worse:
    stages: { pets/prod: {} }
    throttle: { rate: 0, burst: 0 }
    quota: { limit: 10, period: WEEK, offset: 7 }
  odd:
    stages: { "pets-prod": {} }
${API.replace('"/pets/{id}/GET": { rate: 5', '"/dogs/GET": { rate: 5')}`,
    );
    assert.equal(r.code, 1);
    const expect = [
      /usagePlans\.worse\.throttle\.rate: expected a rate above 0/,
      /usagePlans\.worse\.throttle\.burst: expected a burst of at least 1/,
      /usagePlans\.worse\.quota\.offset: expected an offset of 0-6 for period WEEK/,
      /usagePlans\.odd\.stages\.pets-prod: invalid key "pets-prod": expected "api\/stage", e\.g\. "pets\/prod"/,
    ];
    for (const re of expect) assert.match(r.text, re);
    const semantic = await validate(
      dir,
      `version: 1
usagePlans:
  bad:
    stages:
      nope/prod: {}
      pets/beta: {}
      pets/prod: { throttle: { "/cats/GET": { rate: 1, burst: 1 } } }
${API.replace('"/pets/{id}/GET": { rate: 5', '"/dogs/GET": { rate: 5')}`,
    );
    assert.equal(semantic.code, 1);
    const lines = [
      'usagePlans.bad.stages["nope/prod"]: unknown API "nope"; APIs: pets',
      'usagePlans.bad.stages["pets/beta"]: API "pets" has no stage "beta"; stages: prod',
      'usagePlans.bad.stages["pets/prod"].throttle["/cats/GET"]: no route matches "/cats/GET"; expected a route\'s path and method, one of "/pets/{id}/GET", "/{proxy+}/ANY"',
      'apis[0].stages.prod.routeThrottle["/dogs/GET"]: no route matches "/dogs/GET"',
    ];
    for (const l of lines) assert.ok(semantic.text.includes(l), `missing: ${l}\nin: ${semantic.text}`);
    const badKey = await validate(
      dir,
      `version: 1\n${API.replace('"/pets/{id}/GET": { rate: 5', '"pets/GET": { rate: 5')}`,
    );
    assert.ok(
      badKey.text.includes(
        'routeThrottle["pets/GET"]: invalid key "pets/GET": expected "/path/METHOD" such as "/pets/{id}/GET"',
      ),
      badKey.text,
    );
    const badSource = await validate(
      dir,
      `version: 1\n${API.replace('    type: rest\n', '    type: rest\n    apiKeySource: QUERY\n')}`,
    );
    assert.match(badSource.text, /apis\[0\]\.apiKeySource: .*HEADER.*AUTHORIZER/);
  });
});

describe('usage plans: API key from an authorizer (apiKeySource: AUTHORIZER)', () => {
  test("the authorizer's usageIdentifierKey is the key; the x-api-key header is then ignored", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portico-authkey-'));
    const fn = join(dir, 'auth.mjs');
    await writeFile(
      fn,
      `export async function handler(event) {
  return {
    principalId: 'u1',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] },
    usageIdentifierKey: event.authorizationToken,
  };
}
`,
    );
    const t = await startTestGateway(
      `version: 1
usagePlans:
  basic: { stages: { pets/prod: {} } }
apis:
  - name: pets
    type: rest
    apiKeySource: AUTHORIZER
    stages: { prod: {} }
    authorizers:
      tok: { type: function, function: "${fn}#handler", resultTtlSeconds: 0 }
    routes:
      - { route: GET /p, authorizer: tok, apiKeyRequired: true, integration: { type: mock, statusCode: 200, body: ok } }
`,
      { clock: new ManualClock() },
    );
    try {
      const k = await createKey(t.gw, { name: 'via-authorizer', plans: ['basic'] });
      const ok = await call(t.port, 'GET', '/prod/p', { authorization: k.value });
      assert.equal(ok.status, 200, ok.body);
      const no = await call(t.port, 'GET', '/prod/p', {
        authorization: 'not-a-key-at-all-0123456789',
        'x-api-key': k.value,
      });
      assert.equal(no.status, 403);
      assert.equal(no.body, '{"message":"Forbidden"}');
      const usage = await admin(t.gw, 'GET', `/keys/${k.id}/usage`);
      assert.equal(usage.body.total, 1);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
