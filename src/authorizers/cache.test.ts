import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../clock.js';
import { ResultCache } from './cache.js';

test('result cache: entries expire by the injected clock', () => {
  const clock = new ManualClock();
  const c = new ResultCache<string>(clock);
  c.set('k', 'v', 1000);
  clock.advance(999);
  assert.equal(c.get('k'), 'v');
  clock.advance(1);
  assert.equal(c.get('k'), undefined);
  assert.equal(c.size, 0);
});

test('result cache: ttl 0 stores nothing', () => {
  const c = new ResultCache<string>(new ManualClock());
  c.set('k', 'v', 0);
  assert.equal(c.get('k'), undefined);
});

test('result cache: bounded, least recently used goes first', () => {
  const c = new ResultCache<number>(new ManualClock(), 3);
  c.set('a', 1, 1000);
  c.set('b', 2, 1000);
  c.set('c', 3, 1000);
  assert.equal(c.get('a'), 1); // a is now the most recent
  c.set('d', 4, 1000);
  assert.equal(c.size, 3);
  assert.equal(c.get('b'), undefined);
  assert.deepEqual([c.get('a'), c.get('c'), c.get('d')], [1, 3, 4]);
});
