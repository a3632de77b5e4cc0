import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { type RedisServer, redisSuiteSkip, startRedis } from '../../test/helpers/redis.js';
import { RedisStore } from './redis.js';
import { type RedisStoreConfig, storeSchema } from './schema.js';
import { runStoreContract } from './store.contract.js';

const log = createLogger('silent');
let redis: RedisServer | undefined;
const skip = redisSuiteSkip('Redis store');

function config(prefix: string, extra: Partial<RedisStoreConfig> = {}): RedisStoreConfig {
  const cfg = storeSchema.parse({ kind: 'redis', url: redis?.url, keyPrefix: prefix }) as RedisStoreConfig;
  return { ...cfg, commandTimeoutMs: 500, ...extra };
}

describe('Redis store', { skip }, () => {
  before(async (t) => {
    redis = await startRedis(t as unknown as TestContext);
  });
  after(() => redis?.stop());

  runStoreContract('redis', async ({ clock, name }) => {
    return RedisStore.open({ config: config(`t:${name}:`), clock, log });
  });

  test('a document change on one store reaches another through pub/sub', async () => {
    const clock = new ManualClock();
    const a = await RedisStore.open({ config: config('t:pubsub:'), clock, log });
    const b = await RedisStore.open({ config: config('t:pubsub:'), clock, log });
    const other = await RedisStore.open({ config: config('t:otherprefix:'), clock, log });
    try {
      const heard: string[] = [];
      const heardOther: string[] = [];
      let done: () => void = () => {};
      const got = new Promise<void>((r) => (done = r));
      b.onChange((c, id) => {
        heard.push(`${c}/${id}`);
        if (heard.length === 2) done();
      });
      a.onChange((c, id) => heard.push(`self ${c}/${id}`));
      other.onChange((c, id) => heardOther.push(`${c}/${id}`));
      await a.put('apiKeys', 'k1', { n: 1 });
      await a.delete('apiKeys', 'k1');
      await got;
      assert.deepEqual(heard, ['apiKeys/k1', 'apiKeys/k1']);
      assert.deepEqual(heardOther, []);
    } finally {
      await a.close();
      await b.close();
      await other.close();
    }
  });

  test('startup fails clearly when Redis is not there', async () => {
    const cfg = storeSchema.parse({
      kind: 'redis',
      url: 'redis://127.0.0.1:1',
      connectTimeoutMs: 300,
    }) as RedisStoreConfig;
    await assert.rejects(
      RedisStore.open({ config: cfg, clock: new ManualClock(), log }),
      /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });

  test('the schema refuses a bad URL and prefix with their paths', () => {
    const r = storeSchema.safeParse({ kind: 'redis', url: 'http://x', keyPrefix: 'has space' });
    assert.equal(r.success, false);
    const paths = r.error?.issues.map((i) => i.path.join('.'));
    assert.deepEqual(paths, ['url', 'keyPrefix']);
  });
});
