import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { rawRequest } from '../helpers/gateway.js';
import { gatewayFor, headerPairs, parseRaw, upstreamFor } from '../proxy/proxy-helpers.js';

// HTTP_PROXY integrations of REST APIs, against recordings LocalStack made on real AWS
// (test/fixtures/aws-recorded/README.md). Each test names the recording it reproduces.

const RECORDED = join(import.meta.dirname, '..', 'fixtures', 'aws-recorded');
type Snapshot = Record<string, { 'recorded-content': Record<string, unknown> }>;
function recording(file: string, test: string): Record<string, unknown> {
  const all = JSON.parse(
    readFileSync(join(RECORDED, `localstack_localstack__tests__aws__services__apigateway__${file}`), 'utf8'),
  ) as Snapshot;
  const key = Object.keys(all).find((k) => k.endsWith(test));
  assert.ok(key, `no recording ${test} in ${file}`);
  return all[key]!['recorded-content'];
}
const REMAPPING = recording(
  'test_apigateway_integrations.snapshot.json',
  '::TestApiGatewayHeaderRemapping::test_apigateway_header_remapping_http[HTTP_PROXY]',
) as Record<string, { headers: Record<string, string>; 'response-headers': Record<string, string> }>;

/** A REST API (stage `test`), `GET /no-param` → HTTP_PROXY to `origin` with the integration method POST, as recorded. */
function restYaml(origin: string, extra = ''): string {
  return [
    'version: 1',
    'admin: { enabled: false }',
    'server: { timeouts: { drainMs: 1000 } }',
    'apis:',
    '  - name: remapping',
    '    type: rest',
    '    arn: { apiId: a1b2c3d4e5 }',
    '    stages: { test: {} }',
    '    routes:',
    `      - route: GET /no-param`,
    `        integration: { type: http_proxy, uri: "${origin}/", method: POST${extra} }`,
    `      - route: PUT /put`,
    `        integration: { type: http_proxy, uri: "${origin}/", method: POST }`,
    `      - route: GET /plain`,
    `        integration: { type: http_proxy, uri: "${origin}/" }`,
    '',
  ].join('\n');
}

// The client headers of LocalStack's invoke_api (test_apigateway_integrations.py), but Expect and
// Transfer-Encoding, which frame the request itself (test/proxy/expect-continue.test.ts, headers.test.ts).
const CLIENT_HEADERS: [string, string][] = [
  ['Accept', 'application/json'],
  ['Accept-Charset', 'UTF-8'],
  ['Accept-Encoding', 'br'],
  ['Age', 'request_Age'],
  ['Authorization', 'Unauthorized'],
  ['Content-Encoding', 'deflate'],
  ['Content-MD5', 'request_Content-MD5'],
  ['Content-Type', 'application/json'],
  ['Date', 'request_Date'],
  ['Max-Forwards', '2'],
  ['Pragma', 'cache'],
  ['Proxy-Authenticate', 'Basic'],
  ['Range', 'bytes=500-999'],
  ['Referer', 'https://example.com/'],
  ['Server', 'https://example.com/'],
  ['TE', 'deflate'],
  ['Trailer', 'Expires'],
  ['Upgrade', 'HTTP/2.0'],
  ['User-Agent', 'localStack/0.0'],
  ['Via', 'p.example.net'],
  ['Warn', '299 localStack/0.0'],
  ['WWW-Authenticate', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
];

test('REST HTTP_PROXY forwards exactly the client headers AWS forwards, and adds X-Amzn-Apigateway-Api-Id (recorded: TestApiGatewayHeaderRemapping[HTTP_PROXY] no-param-integration)', async (t) => {
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, restYaml(up.url));
  const raw = await rawRequest(
    gw.port,
    [
      'GET /test/no-param HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'Connection: close',
      ...CLIENT_HEADERS.map(([n, v]) => `${n}: ${v}`),
      '',
      '',
    ].join('\r\n'),
  );
  assert.equal(parseRaw(raw).status, 200);
  const got = new Map(headerPairs(up.requests[0]!.rawHeaders));
  const recorded = REMAPPING['no-param-integration']!.headers;
  const recordedNames = new Set(Object.keys(recorded).map((n) => n.toLowerCase()));
  for (const [name] of CLIENT_HEADERS) {
    const lower = name.toLowerCase();
    assert.equal(
      got.has(lower),
      recordedNames.has(lower),
      `${name}: AWS ${recordedNames.has(lower) ? 'forwards' : 'drops'} it`,
    );
  }
  // The values AWS kept as the client sent them.
  for (const name of ['Accept', 'Authorization', 'Range', 'Referer', 'User-Agent', 'Warn'])
    assert.equal(got.get(name.toLowerCase()), recorded[name], name);
  assert.equal(got.get('x-amzn-apigateway-api-id'), 'a1b2c3d4e5');
  assert.ok('X-Amzn-Apigateway-Api-Id' in recorded);
  // The integration method is POST: AWS sent it with `Content-Length: 0`.
  assert.equal(up.requests[0]!.method, 'POST');
  assert.equal(got.get('content-length'), recorded['Content-Length']);
});

test("REST HTTP_PROXY sends the integration's httpMethod, not the client's (recorded: test_http_integration_method[HTTP_PROXY])", async (t) => {
  const rec = recording('test_apigateway_http.snapshot.json', '::test_http_integration_method[HTTP_PROXY]') as Record<
    string,
    { method: string }
  >;
  const up = await upstreamFor(t);
  const gw = await gatewayFor(t, restYaml(up.url));
  const get = await fetch(`http://127.0.0.1:${gw.port}/test/no-param`);
  const put = await fetch(`http://127.0.0.1:${gw.port}/test/put`, { method: 'PUT', body: '{"message":"hello world"}' });
  const plain = await fetch(`http://127.0.0.1:${gw.port}/test/plain`);
  assert.deepEqual([get.status, put.status, plain.status], [200, 200, 200]);
  assert.equal(up.requests[0]!.method, rec['http-invocation-lambda-url-get']!.method);
  assert.equal(up.requests[1]!.method, rec['http-invocation-lambda-url-put']!.method);
  // Without an integration method, the client's.
  assert.equal(up.requests[2]!.method, 'GET');
});

test('REST HTTP_PROXY renames the backend Connection, Content-Length, Date, Server and x-amzn-RequestId to x-amzn-Remapped-* (recorded: TestApiGatewayHeaderRemapping[HTTP_PROXY], test_http_integration_with_lambda[HTTP_PROXY])', async (t) => {
  const recorded = REMAPPING['no-param-integration']!['response-headers'];
  const lambdaUrl = recording(
    'test_apigateway_http.snapshot.json',
    '::test_http_integration_with_lambda[HTTP_PROXY]',
  ) as { 'http-invocation-lambda-url': { headers: Record<string, string> } };
  const body = '{"ok":true}';
  const backendDate = 'Wed, 11 Dec 2024 15:29:02 GMT';
  const up = await upstreamFor(t, (_req, res) => {
    res.sendDate = false;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      Date: backendDate,
      Server: recorded['x-amzn-Remapped-Server']!,
      Connection: 'keep-alive',
      'x-amzn-RequestId': 'backend-request-id',
    });
    res.end(body);
  });
  const gw = await gatewayFor(t, restYaml(up.url));
  const res = await fetch(`http://127.0.0.1:${gw.port}/test/plain`);
  assert.equal(await res.text(), body);
  const h = res.headers;
  // Every x-amzn-Remapped-* AWS sent, and nothing else remapped.
  const want = [...Object.keys(recorded), ...Object.keys(lambdaUrl['http-invocation-lambda-url'].headers)]
    .map((n) => n.toLowerCase())
    .filter((n) => n.startsWith('x-amzn-remapped-'));
  const remapped = [...h.keys()].filter((n) => n.startsWith('x-amzn-remapped-'));
  assert.deepEqual(remapped.sort(), [...new Set(want)].sort());
  assert.equal(h.get('x-amzn-remapped-server'), recorded['x-amzn-Remapped-Server']);
  assert.equal(h.get('x-amzn-remapped-connection'), recorded['x-amzn-Remapped-Connection']);
  assert.equal(h.get('x-amzn-remapped-content-length'), String(Buffer.byteLength(body)));
  assert.equal(h.get('x-amzn-remapped-date'), backendDate);
  assert.equal(h.get('x-amzn-remapped-x-amzn-requestid'), 'backend-request-id');
  // AWS's own in their place: a Content-Length, a Date, its request id, no Server.
  assert.equal(h.get('content-length'), String(Buffer.byteLength(body)));
  assert.ok(h.get('date') && h.get('date') !== backendDate);
  assert.notEqual(h.get('x-amzn-requestid'), 'backend-request-id');
  assert.equal(h.get('server'), null);
});

test('REST responses carry x-amz-apigw-id beside x-amzn-RequestId, HTTP API responses apigw-requestid (recorded: TestApiGatewayHeaderRemapping[HTTP_PROXY] incl. its 500; DG:http-api-troubleshooting-jwt)', async (t) => {
  const recorded = REMAPPING['no-param-integration']!['response-headers'];
  assert.ok('x-amz-apigw-id' in recorded && 'x-amzn-RequestId' in recorded);
  assert.ok('x-amz-apigw-id' in REMAPPING['content-length']!['response-headers']);
  const up = await upstreamFor(t);
  const gw = await gatewayFor(
    t,
    restYaml(up.url) +
      [
        '  - name: httpapi',
        '    type: http',
        '    basePath: /h',
        '    stages: { $default: {} }',
        '    routes:',
        `      - route: GET /x`,
        `        integration: { type: http_proxy, uri: "${up.url}/" }`,
        '',
      ].join('\n'),
  );
  const ok = await fetch(`http://127.0.0.1:${gw.port}/test/plain`);
  const missing = await fetch(`http://127.0.0.1:${gw.port}/test/nowhere`);
  const http = await fetch(`http://127.0.0.1:${gw.port}/h/x`);
  const ids = new Set<string>();
  for (const res of [ok, missing]) {
    const id = res.headers.get('x-amz-apigw-id');
    // AWS's form: 16 characters ending in "=" (DG example `Mc7UVioPPHcEKPA=`).
    assert.match(id ?? '', /^[A-Za-z0-9+/]{15}=$/);
    assert.ok(res.headers.get('x-amzn-requestid'));
    assert.equal(res.headers.get('apigw-requestid'), null);
    ids.add(id!);
  }
  assert.equal(ids.size, 2, 'one id per request');
  assert.equal(http.status, 200);
  assert.match(http.headers.get('apigw-requestid') ?? '', /^[A-Za-z0-9+/]{15}=$/);
  assert.equal(http.headers.get('x-amz-apigw-id'), null);
});
