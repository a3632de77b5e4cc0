import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../clock.js';
import type { Store } from './store.js';

export interface StoreFactoryContext {
  clock: ManualClock;
  /** Stores made with the same name share their data: opening it again is a restart. */
  name: string;
}

/** Makes a store for the contract suite. */
export type MakeStore = (ctx: StoreFactoryContext) => Promise<Store>;

let seq = 0;

/**
 * The behaviour every Store implementation must have (embedded now, Redis later). Run it from the
 * implementation's test file: `runStoreContract('embedded', (ctx) => ...)`.
 */
export function runStoreContract(name: string, makeStore: MakeStore): void {
  const fresh = () => ({ clock: new ManualClock(), name: `contract-${process.pid}-${++seq}` });

  async function withStore(fn: (s: Store, ctx: StoreFactoryContext) => Promise<void>): Promise<void> {
    const ctx = fresh();
    const s = await makeStore(ctx);
    try {
      await fn(s, ctx);
    } finally {
      await s.close();
    }
  }

  describe(`Store contract: ${name}`, () => {
    test('documents: put, get, replace, list in id order, delete', () =>
      withStore(async (s) => {
        assert.equal(await s.get('keys', 'a'), undefined);
        await s.put('keys', 'b', { n: 2, tags: ['x'] });
        await s.put('keys', 'a', { n: 1 });
        await s.put('other', 'a', { n: 99 });
        assert.deepEqual(await s.get('keys', 'a'), { n: 1 });
        await s.put('keys', 'a', { n: 3 });
        assert.deepEqual(await s.get('keys', 'a'), { n: 3 });
        assert.deepEqual(await s.list('keys'), [
          { id: 'a', value: { n: 3 } },
          { id: 'b', value: { n: 2, tags: ['x'] } },
        ]);
        assert.equal(await s.delete('keys', 'a'), true);
        assert.equal(await s.delete('keys', 'a'), false);
        assert.deepEqual(await s.list('keys'), [{ id: 'b', value: { n: 2, tags: ['x'] } }]);
        assert.deepEqual(await s.get('other', 'a'), { n: 99 });
        assert.deepEqual(await s.list('none'), []);
      }));

    test('documents: insert only creates', () =>
      withStore(async (s) => {
        assert.equal(await s.insert('h', 'x', 'first'), true);
        assert.equal(await s.insert('h', 'x', 'second'), false);
        assert.equal(await s.get('h', 'x'), 'first');
      }));

    test('counters: increment, read, expire by the clock', () =>
      withStore(async (s, { clock }) => {
        const exp = clock.now() + 60_000;
        assert.equal(await s.counter('c'), 0);
        assert.equal(await s.increment('c', 2, exp), 2);
        assert.equal(await s.increment('c', -1, exp), 1);
        assert.equal(await s.counter('c'), 1);
        clock.advance(60_000);
        assert.equal(await s.counter('c'), 0);
        assert.equal(await s.increment('c', 5, clock.now() + 1000), 5);
      }));

    test('counters: consume never goes past the limit and refuses without changing the value', () =>
      withStore(async (s, { clock }) => {
        const exp = clock.now() + 60_000;
        assert.deepEqual(await s.consume('q', 2, 5, exp), { ok: true, value: 2 });
        assert.deepEqual(await s.consume('q', 3, 5, exp), { ok: true, value: 5 });
        assert.deepEqual(await s.consume('q', 1, 5, exp), { ok: false, value: 5 });
        assert.deepEqual(await s.consume('q', 0, 5, exp), { ok: true, value: 5 });
        assert.equal(await s.counter('q'), 5);
      }));

    test('counters: concurrent consumes admit exactly the limit', () =>
      withStore(async (s, { clock }) => {
        const exp = clock.now() + 60_000;
        const results = await Promise.all(Array.from({ length: 250 }, () => s.consume('race', 1, 100, exp)));
        assert.equal(results.filter((r) => r.ok).length, 100);
        assert.equal(await s.counter('race'), 100);
      }));

    test('usage: per subject and day, summed, queried by inclusive range, deleted', () =>
      withStore(async (s) => {
        await s.addUsage('k1', '2026-01-01', 3);
        await s.addUsage('k1', '2026-01-01', 2);
        await s.addUsage('k1', '2026-01-03', 1);
        await s.addUsage('k1', '2026-02-01', 7);
        await s.addUsage('k2', '2026-01-01', 9);
        assert.deepEqual(await s.usage('k1', '2026-01-01', '2026-01-31'), { '2026-01-01': 5, '2026-01-03': 1 });
        assert.deepEqual(await s.usage('k1', '2026-01-02', '2026-01-02'), {});
        await s.deleteUsage('k1');
        assert.deepEqual(await s.usage('k1', '2026-01-01', '2026-12-31'), {});
        assert.deepEqual(await s.usage('k2', '2026-01-01', '2026-01-01'), { '2026-01-01': 9 });
      }));

    test('a restart keeps documents, live counters and usage, and drops expired counters', async () => {
      const ctx = fresh();
      const a = await makeStore(ctx);
      await a.put('keys', 'k', { name: 'kept' });
      await a.increment('live', 4, ctx.clock.now() + 120_000);
      await a.increment('short', 4, ctx.clock.now() + 1000);
      await a.consume('quota', 3, 10, ctx.clock.now() + 120_000);
      await a.addUsage('k', '2026-01-01', 11);
      await a.close();
      ctx.clock.advance(5000);
      const b = await makeStore(ctx);
      try {
        assert.deepEqual(await b.get('keys', 'k'), { name: 'kept' });
        assert.equal(await b.counter('live'), 4);
        assert.equal(await b.counter('short'), 0);
        assert.deepEqual(await b.consume('quota', 8, 10, ctx.clock.now() + 120_000), { ok: false, value: 3 });
        assert.deepEqual(await b.usage('k', '2026-01-01', '2026-01-01'), { '2026-01-01': 11 });
      } finally {
        await b.close();
      }
    });

    test('close is idempotent and later calls fail clearly', async () => {
      const s = await makeStore(fresh());
      await s.close();
      await s.close();
      await assert.rejects(s.get('keys', 'a'), /closed/);
    });
  });
}
