import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MemoryCacheStore } from './memory-store.js';
import { type CacheEntry, decodeEntry, ENTRY_OVERHEAD, encodeEntry, entrySize } from './store.js';

function entry(bodyBytes: number, extra: Partial<CacheEntry> = {}): CacheEntry {
  return {
    status: 200,
    headers: ['content-type', 'application/json', 'etag', '"abc"'],
    body: Buffer.alloc(bodyBytes, 'x'),
    storedAt: 1000,
    expiresAt: 301_000,
    swrUntil: 301_000,
    sieUntil: 301_000,
    age: 0,
    route: 'GET /items/{id}',
    ...extra,
  };
}

describe('MemoryCacheStore', () => {
  it('inserting 10× the budget keeps the charged bytes within it, and the accounting exact', () => {
    const budget = 1024 * 1024;
    const store = new MemoryCacheStore(budget);
    let inserted = 0;
    // Varied sizes, 10× the budget in total.
    for (let i = 0; inserted < 10 * budget; i++) {
      const e = entry(1 + ((i * 7919) % 40_000));
      const key = `GET /items/${i}\nGET /items/{id}\nh:gw.test`;
      inserted += entrySize(key, e);
      store.set(key, e);
      const s = store.stats();
      assert.ok(s.bytes <= budget, `after ${i + 1} inserts: ${s.bytes} > ${budget}`);
    }
    const s = store.stats();
    assert.equal(store.recount(), s.bytes, 'the running total equals the sum of the stored entries');
    assert.ok(s.bytes > budget * 0.9, `the budget is used: ${s.bytes}`);
    assert.ok(s.evictions > 0);
  });

  it('stays within the budget in real memory too (process.memoryUsage after GC), 10× the budget inserted', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const budget = 16 * 1024 * 1024;
    const store = new MemoryCacheStore(budget);
    gc();
    const before = process.memoryUsage();
    for (let i = 0; i < 2560; i++) store.set(`GET /big/${i}`, entry(64 * 1024)); // 160 MiB through a 16 MiB cache
    // V8 frees ArrayBuffer memory on a background thread after a GC, late on a busy machine: settle first
    // (bounded: at most 50 rounds of GC and a 20 ms pause).
    let after = process.memoryUsage();
    for (let i = 0; i < 50; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
      after = process.memoryUsage();
      if (after.arrayBuffers - before.arrayBuffers <= budget * 1.25) break;
    }
    const external = after.arrayBuffers - before.arrayBuffers;
    const heap = after.heapUsed - before.heapUsed;
    assert.ok(store.stats().bytes <= budget);
    // Bodies live outside the JS heap (ArrayBuffers); the bookkeeping inside it. Measured alone: 16.65 MB of
    // buffers and 0.3 MB of heap; the bounds leave room for whatever else the process allocates meanwhile,
    // and still catch a leak (160 MiB went through).
    assert.ok(external <= budget * 1.25, `ArrayBuffer growth ${external} B for a ${budget} B budget`);
    assert.ok(heap <= 16 * 1024 * 1024, `heap growth ${heap} B`);
    store.flush();
  });

  it('evicts the least recently used: a read refreshes an entry', () => {
    const size = entrySize('a', entry(100));
    const store = new MemoryCacheStore(size * 3);
    store.set('a', entry(100));
    store.set('b', entry(100));
    store.set('c', entry(100));
    assert.ok(store.get('a', 2000));
    store.set('d', entry(100));
    assert.equal(store.get('b', 2000), undefined, 'b was the least recently used');
    assert.ok(store.get('a', 2000) && store.get('c', 2000) && store.get('d', 2000));
    assert.equal(store.stats().evictions, 1);
  });

  it('never stores an entry larger than the whole budget, and a replaced key is charged once', () => {
    const store = new MemoryCacheStore(10_000);
    assert.equal(store.set('big', entry(20_000)), false);
    assert.equal(store.stats().entries, 0);
    store.set('k', entry(100));
    store.set('k', entry(200));
    assert.equal(store.stats().bytes, entrySize('k', entry(200)));
    assert.equal(store.stats().entries, 1);
  });

  it('drops an entry once past its last stale-serving time', () => {
    const store = new MemoryCacheStore(1_000_000);
    store.set('k', entry(10, { expiresAt: 5000, swrUntil: 6000, sieUntil: 9000 }));
    assert.ok(store.get('k', 8999));
    assert.equal(store.get('k', 9000), undefined);
    assert.equal(store.stats().bytes, 0);
  });

  it('flushes all, by route, or by key prefix; resize evicts down', () => {
    const store = new MemoryCacheStore(1_000_000);
    store.set('GET /pets/1', entry(10, { route: 'GET /pets/{id}' }));
    store.set('GET /pets/10', entry(10, { route: 'GET /pets/{id}' }));
    store.set('GET /toys/1', entry(10, { route: 'GET /toys/{id}' }));
    assert.equal(store.flush({ keyPrefix: 'GET /pets/1' }), 2);
    store.set('GET /pets/2', entry(10, { route: 'GET /pets/{id}' }));
    assert.equal(store.flush({ route: 'GET /toys/{id}' }), 1);
    assert.equal(store.flush({ route: 'GET /pets/{id}', keyPrefix: 'GET /toys' }), 0);
    assert.equal(store.flush(), 1);
    assert.deepEqual(store.stats(), { entries: 0, bytes: 0, capacityBytes: 1_000_000, evictions: 0 });
    for (let i = 0; i < 10; i++) store.set(`k${i}`, entry(1000));
    store.resize(3 * entrySize('k0', entry(1000)));
    assert.equal(store.stats().entries, 3);
    assert.ok(store.get('k9', 2000));
  });
});

describe('cache entry serialisation', () => {
  it('round-trips status, repeated headers, binary body, times and Vary, in a compact form', () => {
    const body = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    const e = entry(0, {
      body,
      headers: ['x-a', '1', 'x-a', '2', 'content-type', 'application/octet-stream'],
      vary: ['accept'],
    });
    const bytes = encodeEntry(e);
    assert.deepEqual(decodeEntry(bytes), e);
    assert.ok(bytes.length < ENTRY_OVERHEAD + body.length, `${bytes.length} bytes`);
    const plain = entry(5);
    assert.deepEqual(decodeEntry(encodeEntry(plain)), plain);
  });
});
