import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateCounterStore, SharedRateCounterStore } from './rate.js';

test('sliding window: counts within the window, weighs the previous window by its overlap', () => {
  const c = new MemoryRateCounterStore();
  const w = 60_000;
  const t0 = 10 * w; // start of a window
  for (let i = 1; i <= 10; i++) assert.equal(c.hit('k', w, t0 + i), i);
  // Halfway into the next window, the previous 10 count half.
  assert.equal(c.hit('k', w, t0 + w + w / 2), 5 + 1);
  // Two windows later, nothing of the first is left.
  assert.equal(c.hit('k', w, t0 + 3 * w), 1);
  assert.equal(c.hit('other', w, t0 + 3 * w), 1, 'keys are independent');
});

test('least recently used keys are dropped past maxKeys', () => {
  const c = new MemoryRateCounterStore(2);
  c.hit('a', 1000, 0);
  c.hit('b', 1000, 0);
  c.hit('a', 1000, 1);
  c.hit('c', 1000, 2);
  assert.equal(c.size, 2);
  assert.equal(c.hit('a', 1000, 3), 3, 'a was kept (recently used)');
  assert.equal(c.hit('b', 1000, 4), 1, 'b was dropped');
});

test("shared counts: two nodes over one real store see each other's hits one round trip later", async () => {
  const { EmbeddedStore } = await import('../store/embedded.js');
  const { ManualClock } = await import('../clock.js');
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const store = new EmbeddedStore({ file: ':memory:', clock });
  try {
    const a = new SharedRateCounterStore(store);
    const b = new SharedRateCounterStore(store);
    const w = 60_000;
    const now = clock.now();
    for (let i = 0; i < 6; i++) a.hit('k', w, now);
    await new Promise((r) => setImmediate(r));
    assert.equal(b.hit('k', w, now), 1, 'b has not heard from the store yet: its own count');
    await new Promise((r) => setImmediate(r));
    assert.equal(b.hit('k', w, now), 8, 'the cluster count (6 from a, 1 from b) plus this hit');
    assert.equal(a.hit('k', w, now + 2 * w), 1, 'two windows later it starts from zero');
  } finally {
    await store.close();
  }
});
