import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateCounterStore } from './rate.js';

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
