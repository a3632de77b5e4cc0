import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { RedisStore } from '../store/redis.js';
import { type RedisStoreConfig, storeSchema } from '../store/schema.js';
import { type RedisServer, redisSuiteSkip, startRedis } from '../../test/helpers/redis.js';
import { RedisCacheStore } from './redis-store.js';
import { type CacheEntry, entrySize } from './store.js';

const skip = redisSuiteSkip('Redis cache store');

function entry(clock: ManualClock, body: string, route = 'GET /a', ttlMs = 60_000): CacheEntry {
  const now = clock.now();
  return {
    status: 200,
    headers: ['content-type', 'text/plain'],
    body: Buffer.from(body),
    storedAt: now,
    expiresAt: now + ttlMs,
    swrUntil: now + ttlMs,
    sieUntil: now + ttlMs,
    age: 0,
    route,
  };
}

describe('Redis cache store', { skip }, () => {
  let redis: RedisServer | undefined;
  let store: RedisStore | undefined;
  const clock = new ManualClock();
  before(async (t) => {
    redis = await startRedis(t as unknown as TestContext);
    const cfg = {
      ...(storeSchema.parse({ kind: 'redis', url: redis?.url, keyPrefix: 'cachetest:' }) as RedisStoreConfig),
      commandTimeoutMs: 500,
    };
    store = await RedisStore.open({ config: cfg, clock, log: createLogger('silent') });
  });
  after(async () => {
    await store?.close();
    await redis?.stop();
  });

  test('an entry stored through one store is read through another on the same namespace, not through another namespace', async () => {
    const a = new RedisCacheStore(store as RedisStore, 'api/prod', 1_000_000, clock);
    const b = new RedisCacheStore(store as RedisStore, 'api/prod', 1_000_000, clock);
    const other = new RedisCacheStore(store as RedisStore, 'api/dev', 1_000_000, clock);
    assert.equal(await a.set('GET /a', entry(clock, 'hello')), true);
    const got = await b.get('GET /a', clock.now());
    assert.equal(got?.body.toString(), 'hello');
    assert.deepEqual(got?.headers, ['content-type', 'text/plain']);
    assert.equal(await other.get('GET /a', clock.now()), undefined);
    clock.advance(60_000);
    assert.equal(await b.get('GET /a', clock.now()), undefined, 'past its last stale moment on the gateway clock');
  });

  test('the byte budget per namespace evicts the least recently used', async () => {
    const e = entry(clock, 'x'.repeat(1000));
    const size = entrySize('GET /k0', e);
    const s = new RedisCacheStore(store as RedisStore, 'budget', size * 3 + 10, clock);
    for (let i = 0; i < 3; i++) assert.equal(await s.set(`GET /k${i}`, entry(clock, 'x'.repeat(1000))), true);
    clock.advance(1);
    assert.ok(await s.get('GET /k0', clock.now()), 'touch k0: k1 is now the oldest');
    clock.advance(1);
    await s.set('GET /k3', entry(clock, 'x'.repeat(1000)));
    assert.equal(await s.get('GET /k1', clock.now()), undefined);
    assert.ok(await s.get('GET /k0', clock.now()));
    assert.deepEqual([s.stats().entries, s.stats().evictions], [3, 1]);
    assert.ok(s.stats().bytes <= size * 3 + 10);
    assert.equal(await s.set('GET /huge', entry(clock, 'x'.repeat(10_000))), false, 'larger than the whole budget');
  });

  test('flush by route, by key prefix, and all', async () => {
    const s = new RedisCacheStore(store as RedisStore, 'flush', 1_000_000, clock);
    await s.set('GET /pets/1', entry(clock, '1', 'GET /pets/{id}'));
    await s.set('GET /pets/2', entry(clock, '2', 'GET /pets/{id}'));
    await s.set('GET /toys/1', entry(clock, '3', 'GET /toys/{id}'));
    await s.set('GET /zoo', entry(clock, '4', 'GET /zoo'));
    assert.equal(await s.flush({ route: 'GET /pets/{id}' }), 2);
    assert.equal(await s.flush({ keyPrefix: 'GET /toys/' }), 1);
    assert.equal(await s.delete('GET /zoo'), true);
    assert.equal(await s.delete('GET /zoo'), false);
    await s.set('GET /a', entry(clock, 'a'));
    assert.equal(await s.flush(), 1);
    assert.equal(await s.get('GET /a', clock.now()), undefined);
  });
});
