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
  const nodes: TestGateway[] = [];
  let dataDir = '';

  before(async (t) => {
    redis = await startRedis(t as unknown as TestContext);
    if (!redis) return;
    upstream = await startUpstream();
    dataDir = await mkdtemp(join(tmpdir(), 'portico-shared-cache-'));
    const yaml = `version: 1
store: { kind: redis, url: "${redis.url}", keyPrefix: "sc:", commandTimeoutMs: 500 }
apis:
  - name: pets
    type: rest
    stages: { prod: { cache: { enabled: true, ttlSeconds: 300 } } }
    routes:
      - { route: "GET /pets/{id}", integration: { type: http_proxy, uri: "${upstream.url}/pets/{id}" } }
`;
    // One data dir: the nodes share api-key.secret, as docs/cluster.md asks.
    for (let i = 0; i < 2; i++) nodes.push(await startTestGateway(yaml, { dataDir }));
  });

  after(async () => {
    for (const n of nodes) await n.close();
    await upstream?.close();
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
    for (let i = 0; i < 200 && !cache.stats().some((s) => s.entries > 0); i++) await new Promise((r) => setTimeout(r, 10));
    const fromB = await call(b.port, 'GET', '/prod/pets/7', HOST);

    assert.equal(fromB.status, 200);
    assert.equal(fromB.headers['x-cache'], 'Hit');
    assert.equal(fromB.body, first.body);
    assert.equal((upstream as TestUpstream).requests.length, 1, 'the backend was asked once');
  });
});
