import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../config/errors.js';
import { loadConfigFile, compileConfig } from '../features.js';
import { createLogger } from '../logger.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { PoolRegistry } from '../forward/pools.js';
import { effectiveCacheConfig, stageCacheSchema } from './schema.js';

async function compile(stage: string, route = ''): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-cache-schema-'));
  const file = join(dir, 'portico.yaml');
  await writeFile(
    file,
    [
      'version: 1',
      'apis:',
      '  - name: shop',
      '    type: rest',
      `    stages: { prod: { cache: ${stage} } }`,
      '    routes:',
      '      - route: GET /pets/{id}',
      route ? `        cache: ${route}` : '',
      '        integration: { type: http_proxy, uri: "http://127.0.0.1:9/pets/{id}" }',
      '',
    ].join('\n'),
  );
  const pools = new PoolRegistry();
  try {
    const loaded = await loadConfigFile(file, {});
    compileConfig(loaded, { runtime: createRuntimeDeps({ pools, log: createLogger('silent') }), revision: 1 });
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  } finally {
    await pools.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('cache config', () => {
  it('has AWS’s defaults', () => {
    const d = stageCacheSchema.parse({});
    assert.equal(d.enabled, false);
    assert.equal(d.ttlSeconds, 300);
    assert.deepEqual(d.methods, ['GET']);
    assert.equal(d.requireAuthorization, true);
    assert.equal(d.unauthorizedStrategy, 'SUCCEED_WITH_RESPONSE_HEADER');
    assert.equal(d.maxEntryBytes, 1048576);
    assert.deepEqual(d.statuses, ['2xx']);
    assert.deepEqual(d.invalidators, { apiKeyIds: [], scopes: [] });
  });

  it('route settings override the stage’s one by one', () => {
    const stage = stageCacheSchema.parse({ enabled: true, ttlSeconds: 60, perKey: true });
    const eff = effectiveCacheConfig(stage, { ttlSeconds: 5, methods: ['GET', 'POST'] });
    assert.deepEqual([eff.enabled, eff.ttlSeconds, eff.perKey, eff.methods], [true, 5, true, ['GET', 'POST']]);
    assert.equal('capacityMB' in eff, false);
  });

  it('a valid config compiles', async () => {
    assert.equal(
      await compile(
        '{ enabled: true }',
        '{ cacheKeyParameters: [method.request.path.id, method.request.querystring.q] }',
      ),
      undefined,
    );
  });

  const bad: [string, string, string, RegExp][] = [
    ['TTL over 3600', '{ ttlSeconds: 4000 }', '', /apis\[0\]\.stages\.prod\.cache\.ttlSeconds: .*3600/],
    ['unknown strategy', '{ unauthorizedStrategy: FAIL }', '', /unauthorizedStrategy: .*FAIL_WITH_403/],
    ['unknown key', '{ ttl: 5 }', '', /stages\.prod\.cache\.ttl: unknown key "ttl"/],
    ['negative capacity', '{ capacityMB: -1 }', '', /capacityMB/],
    [
      'a short-form key parameter',
      '{ enabled: true }',
      '{ cacheKeyParameters: [querystring.q] }',
      /routes\[0\]\.cache\.cacheKeyParameters\[0\]: expected "method\.request\.querystring\.NAME"/,
    ],
    [
      'a path parameter the route does not have',
      '{ enabled: true }',
      '{ cacheKeyParameters: [method.request.path.petId] }',
      /routes\[0\]\.cache\.cacheKeyParameters\[0\]: route "GET \/pets\/\{id\}" has no path parameter "petId" \(it has id\)/,
    ],
    [
      'capacityMB on a route',
      '{ enabled: true }',
      '{ capacityMB: 5 }',
      /routes\[0\]\.cache\.capacityMB: unknown key "capacityMB"/,
    ],
    ['an unknown status class', "{ statuses: ['6xx'] }", '', /statuses\[0\]/],
  ];
  for (const [name, stage, route, re] of bad) {
    it(`rejects ${name}, naming the path`, async () => {
      const msg = await compile(stage, route);
      assert.ok(msg, 'expected an error');
      assert.match(msg, re);
    });
  }
});
