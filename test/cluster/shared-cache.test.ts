import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { call } from '../helpers/http-call.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { type RedisServer, redisSuiteSkip, startRedis } from '../helpers/redis.js';

const skip = redisSuiteSkip('shared response cache on Redis');

describe('shared response cache on Redis', { skip }, () => {
  let redis: RedisServer | undefined;
  let upstream: TestUpstream | undefined;
  let authHttp: TestUpstream | undefined;
  const nodes: TestGateway[] = [];
  let dataDir = '';

  before(async (t) => {
    redis = await startRedis(t as unknown as TestContext);
    if (!redis) return;
    upstream = await startUpstream();
    authHttp = await startUpstream((req, res) => {
      if (req.headers.authorization === 'good-token')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"principalId":"p1"}');
      else res.writeHead(401).end();
    });
    dataDir = await mkdtemp(join(tmpdir(), 'portico-shared-cache-'));
    const yaml = `version: 1
store: { kind: redis, url: "${redis.url}", keyPrefix: "sc:", commandTimeoutMs: 500 }
apis:
  - name: pets
    type: rest
    stages: { prod: { cache: { enabled: true, ttlSeconds: 300 } } }
    authorizers:
      web: { type: http, url: "${authHttp.url}/check", resultTtlSeconds: 300 }
    routes:
      - { route: "GET /private", authorizer: web, integration: { type: mock, statusCode: 200, body: private } }
      - { route: "GET /pets/{id}", integration: { type: http_proxy, uri: "${upstream.url}/pets/{id}" } }
`;
    // One data dir: the nodes share api-key.secret, as docs/cluster.md asks.
    for (let i = 0; i < 2; i++) nodes.push(await startTestGateway(yaml, { dataDir }));
  });

  after(async () => {
    for (const n of nodes) await n.close();
    await upstream?.close();
    await authHttp?.close();
    await redis?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  // The cache key includes the host: behind a load balancer every node sees the same one.
  const HOST = { host: 'api.example.com' };

  test('a cache entry filled by node A is served as a hit by node B', async () => {
    const [a, b] = nodes as [TestGateway, TestGateway];
    const first = await call(a.port, 'GET', '/prod/pets/7', HOST);
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-cache'], 'Miss');
    // The store write follows the response: wait (bounded) until node A's cache reports it.
    const cache = a.gw.runtime.services.get('cache') as { stats(): { entries: number }[] };
    for (let i = 0; i < 200 && !cache.stats().some((s) => s.entries > 0); i++)
      await new Promise((r) => setTimeout(r, 10));
    const fromB = await call(b.port, 'GET', '/prod/pets/7', HOST);

    assert.equal(fromB.status, 200);
    assert.equal(fromB.headers['x-cache'], 'Hit');
    assert.equal(fromB.body, first.body);
    assert.equal((upstream as TestUpstream).requests.length, 1, 'the backend was asked once');
  });

  test('an authorizer result cached by node A is used by node B (the token hashed, not stored)', async () => {
    const [a, b] = nodes as [TestGateway, TestGateway];
    const h = { ...HOST, authorization: 'good-token' };
    assert.equal((await call(a.port, 'GET', '/prod/private', h)).status, 200);
    assert.equal((authHttp as TestUpstream).requests.length, 1);
    // The shared write follows the answer: wait (bounded) until it is in Redis, then ask node B.
    const { execFileSync } = await import('node:child_process');
    const scan = () =>
      execFileSync('redis-cli', [
        '-p',
        String((redis as RedisServer).port),
        '--scan',
        '--pattern',
        'sc:authz:*',
      ]).toString();
    let dump = '';
    for (let i = 0; i < 100 && !(dump = scan()); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await call(b.port, 'GET', '/prod/private', h)).status, 200);
    assert.equal((authHttp as TestUpstream).requests.length, 1, 'node B did not ask the authorizer again');
    assert.ok(dump.length > 0 && !dump.includes('good-token'), 'the token is not in the Redis key');
  });
});
