import assert from 'node:assert/strict';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { AccessLogService } from '../../src/observability/access-log.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { startTestGateway, startUpstream, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { runCli } from '../helpers/cli.js';
import { until } from './helpers.js';

const API_KEY = 'k3y-VALUE-d0-not-log-9f8e7d6c5b4a';
const BEARER = 'Bearer eyJhbGciOiJub25lIn0.c2VjcmV0LWJlYXJlci10b2tlbg.sig-DO-NOT-LOG';
const SECRET_HEADERS = { 'x-api-key': API_KEY, authorization: BEARER, 'user-agent': 'obs-test/1.0' };

/** Every variable the issue lists, and the rest of the access-log set, as name=value fields. */
const VARIABLES = [
  'requestId',
  'extendedRequestId',
  'identity.sourceIp',
  'identity.apiKeyId',
  'identity.userAgent',
  'identity.caller',
  'identity.user',
  'httpMethod',
  'resourcePath',
  'routeKey',
  'path',
  'protocol',
  'status',
  'responseLength',
  'responseLatency',
  'integrationLatency',
  'integration.latency',
  'integration.status',
  'integrationStatus',
  'integration.error',
  'integrationErrorMessage',
  'error.message',
  'error.responseType',
  'authorizer.principalId',
  'stage',
  'apiId',
  'domainName',
  'requestTime',
  'requestTimeEpoch',
  'traceId',
];
const TEMPLATE = VARIABLES.map((v) => `${v}=$context.${v}`).join('|');

const config = (up: string, accessLog: string) => `version: 1
apis:
  - name: shop
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /items/{id}
        integration: { type: http_proxy, uri: "${up}/items/{id}" }
      - route: GET /slow
        integration: { type: http_proxy, uri: "${up}/slow", timeoutMs: 100 }
observability:
  metrics: { processMetrics: false }
  accessLog: ${accessLog}
`;

async function start(accessLog: string) {
  const up = await startUpstream((req, res) => {
    if (req.url === '/slow') return; // never answers: the gateway times out
    const body = JSON.stringify({ url: req.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const t = await startTestGateway(config(up.url, accessLog));
  // Stands in for the access-control policies (issue 4), which put the key id and principal here.
  t.gw.runtime.requestDone.unshift((ctx: RequestContext) => {
    if (ctx.req.headers['x-api-key'] === API_KEY) ctx.identity = { apiKeyId: 'key-0042', principalId: 'user-7' };
  });
  return {
    up,
    t,
    async lines(file = join(t.dir, 'access.log'), n?: number): Promise<string[]> {
      const svc = t.gw.runtime.services.get('accessLog') as AccessLogService;
      let lines: string[] = [];
      await until(async () => {
        await svc.flush();
        lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
        return n === undefined || lines.length >= n;
      });
      return lines;
    },
    async close() {
      await t.close();
      await up.close();
    },
  };
}

function fields(line: string): Record<string, string> {
  return Object.fromEntries(line.split('|').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

async function assertNoSecrets(t: TestGateway): Promise<void> {
  const text = await readFile(join(t.dir, 'access.log'), 'utf8');
  assert.ok(text.length > 0);
  for (const secret of [API_KEY, BEARER, 'sig-DO-NOT-LOG', 'eyJhbGciOiJub25lIn0'])
    assert.ok(!text.includes(secret), `log contains ${secret}`);
}

describe('access log', () => {
  test('template format: every $context variable, for a proxied request and a timeout', async () => {
    const s = await start(`{ enabled: true, destination: access.log, format: "${TEMPLATE}" }`);
    try {
      const ok = await call(s.t.port, 'GET', '/prod/items/7?q=1', {
        ...SECRET_HEADERS,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
      assert.equal(ok.status, 200);
      const slow = await call(s.t.port, 'GET', '/prod/slow', SECRET_HEADERS);
      assert.equal(slow.status, 504);
      const [a, b] = (await s.lines(undefined, 2)).map(fields) as [Record<string, string>, Record<string, string>];
      assert.deepEqual(Object.keys(a), VARIABLES);
      assert.equal(a.requestId, ok.headers['x-amzn-requestid']);
      // AWS's extended id: 16 characters of base64, sent as x-amz-apigw-id (REST) or apigw-requestid (HTTP).
      assert.match(a.extendedRequestId as string, /^[A-Za-z0-9+/]{15}=$/);
      assert.equal(a.extendedRequestId, ok.headers['x-amz-apigw-id'] ?? ok.headers['apigw-requestid']);
      assert.equal(a['identity.sourceIp'], '127.0.0.1');
      assert.equal(a['identity.apiKeyId'], 'key-0042');
      assert.equal(a['identity.userAgent'], 'obs-test/1.0');
      assert.equal(a['identity.caller'], '-');
      assert.equal(a['identity.user'], '-');
      assert.equal(a.httpMethod, 'GET');
      assert.equal(a.resourcePath, '/items/{id}');
      assert.equal(a.routeKey, 'GET /items/{id}');
      assert.equal(a.path, '/prod/items/7');
      assert.equal(a.protocol, 'HTTP/1.1');
      assert.equal(a.status, '200');
      assert.equal(a.responseLength, String(Buffer.byteLength(ok.body)));
      assert.match(a.responseLatency as string, /^\d+$/);
      assert.match(a.integrationLatency as string, /^\d+$/);
      assert.equal(a['integration.latency'], a.integrationLatency);
      assert.equal(a['integration.status'], '200');
      assert.equal(a.integrationStatus, '200');
      assert.equal(a['integration.error'], '-');
      assert.equal(a['error.message'], '-');
      assert.equal(a['error.responseType'], '-');
      assert.equal(a['authorizer.principalId'], 'user-7');
      assert.equal(a.stage, 'prod');
      assert.equal(a.apiId, 'shop');
      assert.equal(a.domainName, '127.0.0.1');
      assert.match(a.requestTime as string, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
      assert.match(a.requestTimeEpoch as string, /^\d{13}$/);
      assert.equal(a.traceId, '0af7651916cd43dd8448eb211c80319c');

      assert.equal(b.status, '504');
      assert.equal(b.integrationLatency, '-1'); // AWS logs -1 when the integration timed out
      assert.equal(b['integration.status'], '-');
      assert.equal(b['error.responseType'], 'INTEGRATION_TIMEOUT');
      assert.equal(b['error.message'], 'Endpoint request timed out');
      assert.match(b['integration.error'] as string, /no response head/);
      assert.match(b.traceId as string, /^[0-9a-f]{32}$/);
      await assertNoSecrets(s.t);
    } finally {
      await s.close();
    }
  });

  test('json preset (default): one JSON object per line, no headers, API key only as its id', async () => {
    const s = await start('{ enabled: true, destination: access.log }');
    try {
      await call(s.t.port, 'GET', '/prod/items/1?api_key=x', SECRET_HEADERS);
      await call(s.t.port, 'GET', '/prod/nothing', SECRET_HEADERS);
      const [a, b] = (await s.lines(undefined, 2)).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(a && b);
      assert.equal(a.httpMethod, 'GET');
      assert.equal(a.path, '/prod/items/1');
      assert.equal(a.routeKey, 'GET /items/{id}');
      assert.equal(a.status, 200);
      assert.equal(a.integrationStatus, 200);
      assert.equal(typeof a.responseLatency, 'number');
      assert.equal(a.apiKeyId, 'key-0042');
      assert.equal(a.principalId, 'user-7');
      assert.equal(a.apiId, 'shop');
      assert.equal(a.stage, 'prod');
      assert.equal(b.status, 403);
      assert.equal(b.errorResponseType, 'MISSING_AUTHENTICATION_TOKEN');
      assert.equal(b.routeKey, null);
      assert.equal(b.integrationLatency, null);
      await assertNoSecrets(s.t);
    } finally {
      await s.close();
    }
  });

  test('clf preset and a JSON-shaped template (values escaped)', async () => {
    const s = await start('{ enabled: true, destination: access.log, format: clf }');
    try {
      const r = await call(s.t.port, 'GET', '/prod/items/3', SECRET_HEADERS);
      const [line] = await s.lines(undefined, 1);
      const id = r.headers['x-amzn-requestid'] as string;
      assert.match(
        line as string,
        new RegExp(
          `^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "GET /items/\\{id\\} HTTP/1\\.1" 200 ${Buffer.byteLength(r.body)} ${id}$`,
        ),
      );
      await s.t.write(
        config(
          s.up.url,
          `{ enabled: true, destination: access.log, format: '{"id":"$context.requestId","path":"$context.path"}' }`,
        ),
      );
      assert.equal((await s.t.gw.reload('test')).ok, true);
      await call(s.t.port, 'GET', '/prod/items/%22quoted%22');
      await call(s.t.port, 'GET', '/prod/items/"raw"');
      const lines = await s.lines(undefined, 3);
      assert.equal(JSON.parse(lines[1] as string).path, '/prod/items/%22quoted%22');
      assert.equal(JSON.parse(lines[2] as string).path, '/prod/items/"raw"');
    } finally {
      await s.close();
    }
  });

  test('at low traffic a line reaches the file within about a second, with nobody flushing (lines are batched under load)', async () => {
    const s = await start('{ enabled: true, destination: access.log }');
    try {
      await call(s.t.port, 'GET', '/prod/items/7');
      const file = join(s.t.dir, 'access.log');
      let text = '';
      await until(async () => (text = await readFile(file, 'utf8').catch(() => '')).length > 0, 500); // 5 s
      assert.equal(JSON.parse(text.trim()).path, '/prod/items/7');
    } finally {
      await s.close();
    }
  });

  test('SIGUSR1 reopens the file (logrotate)', async () => {
    const s = await start('{ enabled: true, destination: access.log }');
    try {
      await call(s.t.port, 'GET', '/prod/items/1');
      const file = join(s.t.dir, 'access.log');
      await s.lines(file, 1);
      await rename(file, `${file}.1`);
      process.kill(process.pid, 'SIGUSR1');
      // The reopen is synchronous in the signal handler; wait until it ran by checking the new file.
      await until(async () => (await readFile(file, 'utf8').catch(() => null)) !== null);
      await call(s.t.port, 'GET', '/prod/items/2');
      const fresh = await s.lines(file, 1);
      assert.equal(fresh.length, 1);
      assert.equal(JSON.parse(fresh[0] as string).path, '/prod/items/2');
      const rotated = (await readFile(`${file}.1`, 'utf8')).split('\n').filter(Boolean);
      assert.equal(rotated.length, 1);
      assert.equal(JSON.parse(rotated[0] as string).path, '/prod/items/1');
    } finally {
      await s.close();
    }
  });

  test('config errors: unknown variable, template without a request id, each with its path', async () => {
    const t = await startTestGateway(config('http://127.0.0.1:1', '{ enabled: false }'));
    try {
      await t.write(
        config('http://127.0.0.1:1', '{ enabled: true, format: "$context.requestId $context.identity.apiKey" }'),
      );
      let r = runCli(['validate', '-c', t.configPath]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, /observability\.accessLog\.format/);
      assert.match(r.stderr + r.stdout, /unknown variable \$context\.identity\.apiKey/);
      await t.write(config('http://127.0.0.1:1', '{ enabled: true, format: "$context.status" }'));
      r = runCli(['validate', '-c', t.configPath]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, /must contain \$context\.requestId/);
    } finally {
      await t.close();
    }
  });
});
