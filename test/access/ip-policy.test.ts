import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

const config = (trusted: string) => `
version: 1
server: { trustedProxies: ${trusted} }
apis:
  - name: ips
    type: rest
    stages: { prod: {} }
    ipPolicy:
      allow: [10.0.0.0/8, "2001:db8::/32", 203.0.113.7]
      deny: [10.1.0.0/16]
    routes:
      - { route: GET /open, integration: { type: mock, body: ok } }
      - { route: "GET /strict/{id}", ipPolicy: { deny: [10.2.3.4/32, "2001:db8::bad"] }, integration: { type: mock, body: ok } }
`;
const ARN = 'arn:aws:execute-api:us-east-1:123456789012:ips/prod/GET';
const denied = (resource: string, explicit: boolean) =>
  JSON.stringify({
    Message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${ARN}/${resource}${explicit ? ' with an explicit deny' : ''}`,
  });

describe('IP policy (resource policy)', () => {
  let direct: TestGateway;
  let proxied: TestGateway;
  before(async () => {
    direct = await startTestGateway(config('[]'));
    proxied = await startTestGateway(config('[127.0.0.1/32]'));
  });
  after(async () => {
    await direct.close();
    await proxied.close();
  });

  test('without trusted proxies X-Forwarded-For is ignored: the peer 127.0.0.1 is not allowed', async () => {
    const r = await call(direct.port, 'GET', '/prod/open', { 'x-forwarded-for': '10.0.0.5' });
    assert.equal(r.status, 403);
    assert.equal(r.body, denied('open', false));
    assert.equal(r.headers['x-amzn-errortype'], 'AccessDeniedException');
    assert.equal(r.headers['content-type'], 'application/json');
  });

  test('through a trusted proxy the client IP decides: allow lists, deny wins, IPv4 and IPv6', async () => {
    const get = (path: string, ip: string) => call(proxied.port, 'GET', path, { 'x-forwarded-for': ip });
    assert.equal((await get('/prod/open', '10.0.0.5')).status, 200);
    assert.equal((await get('/prod/open', '203.0.113.7')).status, 200);
    assert.equal((await get('/prod/open', '2001:db8::1')).status, 200);
    const deny = await get('/prod/open', '10.1.2.3');
    assert.deepEqual([deny.status, deny.body], [403, denied('open', true)]);
    const v6 = await get('/prod/open', '2001:db9::1');
    assert.deepEqual([v6.status, v6.body], [403, denied('open', false)]);
    const other = await get('/prod/open', '192.168.1.1');
    assert.deepEqual([other.status, other.body], [403, denied('open', false)]);
    // a client-supplied hop left of a real client is not believed
    assert.equal((await get('/prod/open', '10.0.0.5, 192.168.1.1')).status, 403);
  });

  test("route lists apply after the API's", async () => {
    const get = (path: string, ip: string) => call(proxied.port, 'GET', path, { 'x-forwarded-for': ip });
    assert.equal((await get('/prod/strict/1', '10.0.0.5')).status, 200);
    const r = await get('/prod/strict/1', '10.2.3.4');
    assert.deepEqual([r.status, r.body], [403, denied('strict/1', true)]);
    assert.equal((await get('/prod/strict/1', '2001:db8::bad')).status, 403);
    assert.equal((await get('/prod/strict/1', '192.168.1.1')).status, 403);
  });

  test('bad ranges are config errors with their paths', async () => {
    await assert.rejects(
      startTestGateway(`
version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    ipPolicy: { allow: [10.0.0.0/33, 300.1.1.1] }
    routes:
      - { route: GET /x, ipPolicy: { deny: ["2001:db8::/129"] }, integration: { type: mock } }
`),
      (err: Error) => {
        assert.match(
          err.message,
          /apis\[0\]\.ipPolicy\.allow\[0\]: "10\.0\.0\.0\/33": prefix out of range \(0-32 for IPv4\)/,
        );
        assert.match(err.message, /apis\[0\]\.ipPolicy\.allow\[1\]: "300\.1\.1\.1": not an IPv4 or IPv6 address/);
        assert.match(
          err.message,
          /apis\[0\]\.routes\[0\]\.ipPolicy\.deny\[0\]: "2001:db8::\/129": prefix out of range \(0-128 for IPv6\)/,
        );
        return true;
      },
    );
  });
});
