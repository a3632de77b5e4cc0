import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { writeHandlers } from './function-helpers.js';

describe('function integration: what an authorizer learned reaches the event', () => {
  let h: Awaited<ReturnType<typeof writeHandlers>>;
  let t: TestGateway;

  before(async () => {
    h = await writeHandlers();
    await writeFile(
      h.path('auth.mjs'),
      `export async function token(event) {
  return { principalId: 'user-1', context: { tier: 'gold', n: 1 },
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] } };
}
export async function simple() { return { isAuthorized: true, context: { team: 'blue' } }; }
`,
    );
    t = await startTestGateway(`
version: 1
apis:
  - name: r
    type: rest
    stages: { prod: {} }
    authorizers:
      tok: { type: function, function: ${h.path('auth.mjs')}#token, resultTtlSeconds: 0 }
    routes:
      - route: GET /me
        authorizer: tok
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
  - name: w
    type: http
    basePath: /w
    stages: { $default: {} }
    authorizers:
      simple: { type: function, function: ${h.path('auth.mjs')}#simple, eventType: REQUEST, resultTtlSeconds: 0 }
    routes:
      - route: GET /me
        authorizer: simple
        integration: { type: function, handler: ${h.path('echo.mjs')}#handler }
`);
  });
  after(async () => {
    await t.close();
    await h.close();
  });

  it('payload 1.0: requestContext.authorizer has principalId and the stringified context', async () => {
    const r = await call(t.port, 'GET', '/prod/me', { authorization: 'Bearer x' });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body).event.requestContext.authorizer, {
      principalId: 'user-1',
      tier: 'gold',
      n: '1',
    });
  });

  it('payload 2.0: requestContext.authorizer.lambda has the context', async () => {
    const r = await call(t.port, 'GET', '/w/me');
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body).event.requestContext.authorizer, { lambda: { team: 'blue' } });
  });
});
