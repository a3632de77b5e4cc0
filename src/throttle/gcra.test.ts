import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../clock.js';
import { type Level, RateLimiter } from './gcra.js';

const level = (key: string, rate: number, burst: number, label = 'stage'): Level => ({
  key,
  limit: { rate, burst },
  label,
});

function admitted(l: RateLimiter, levels: Level[], n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (l.attempt(levels).ok) ok++;
  return ok;
}

describe('RateLimiter (GCRA)', () => {
  test('a full bucket admits exactly burst requests at one instant, then one per 1/rate', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock);
    const b = [level('s', 10, 5)];
    assert.equal(admitted(l, b, 20), 5);
    clock.advance(99);
    assert.equal(l.attempt(b).ok, false);
    clock.advance(1);
    assert.equal(admitted(l, b, 5), 1);
    clock.advance(1000);
    assert.equal(admitted(l, b, 50), 5, 'refill stops at burst');
  });

  test('remaining counts down and retryAfterMs says when the next token comes', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock);
    const b = [level('s', 4, 3)];
    assert.deepEqual(
      [1, 2, 3].map(() => (l.attempt(b) as { remaining: number }).remaining),
      [2, 1, 0],
    );
    const v = l.attempt(b);
    assert.equal(v.ok, false);
    assert.equal(Math.round((v as { retryAfterMs: number }).retryAfterMs), 250);
    clock.advance(250);
    assert.equal(l.attempt(b).ok, true);
  });

  test('a burst at the window edge never exceeds the bucket: any interval d admits at most burst + rate*d', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock);
    const b = [level('edge', 10, 10)];
    // Drain the bucket just before a second boundary, then hammer right after it.
    clock.set(Date.UTC(2026, 0, 1, 0, 0, 0, 999));
    assert.equal(admitted(l, b, 100), 10);
    clock.advance(1); // the "new window"
    assert.equal(admitted(l, b, 100), 0, 'a fixed-window counter would admit 10 more here');
    // Sliding check: 5000 arrivals at pseudo-random sorted times over 10 s; every 1 s interval admits <= burst + rate.
    const start = clock.now();
    const arrivals = Array.from({ length: 5000 }, (_, i) => start + ((i * 7919) % 10_000)).sort((x, y) => x - y);
    const times: number[] = [];
    for (const t of arrivals) {
      clock.set(t);
      if (l.attempt(b).ok) times.push(t);
    }
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && (times[j] as number) - (times[i] as number) < 1000) j++;
      assert.ok(j - i <= 10 + 10, `interval starting ${times[i]} admitted ${j - i}`);
    }
  });

  test('rate accuracy: 10k requests at 200 rps against a 100 rps bucket admit 100 rps within ±1%', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock);
    const b = [level('acc', 100, 100)];
    let ok = 0;
    for (let i = 0; i < 10_000; i++) {
      if (l.attempt(b).ok) ok++;
      clock.advance(5);
    }
    // 50 s of traffic: rate * 50 + the initial burst.
    const expected = 100 * 50 + 100;
    assert.ok(Math.abs(ok - expected) <= expected * 0.01, `admitted ${ok}, expected ${expected} ±1%`);
  });

  test('fractional rates are exact over time (1/3 s intervals)', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock);
    const b = [level('third', 3, 1)];
    let ok = 0;
    for (let i = 0; i < 3000; i++) {
      if (l.attempt(b).ok) ok++;
      clock.advance(1);
    }
    assert.equal(ok, 9); // t = 0, 333.3, 666.7, ..., 2666.7 ms
  });

  test('all or nothing: a request refused by a later level takes no token from earlier ones', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock);
    const plan = level('plan', 100, 100, 'plan');
    const stage = level('stage', 1, 2);
    assert.equal(admitted(l, [plan, stage], 10), 2);
    assert.equal(l.available(plan), 98);
    const v = l.attempt([plan, stage]);
    assert.equal(v.ok, false);
    assert.equal((v as { level: Level }).level.label, 'stage');
  });

  test('the first empty level in order is the one reported', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock);
    const a = level('a', 1, 1, 'plan');
    const b = level('b', 1, 1, 'stage');
    l.attempt([b]);
    l.attempt([a]);
    assert.equal((l.attempt([a, b]) as { level: Level }).level.label, 'plan');
  });

  test('full buckets are swept; state survives as long as it matters', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock);
    for (let i = 0; i < 100; i++) l.attempt([level(`k${i}`, 10, 10)]);
    assert.equal(l.size, 100);
    clock.advance(99);
    l.sweep();
    assert.equal(l.size, 100);
    clock.advance(1);
    l.sweep();
    assert.equal(l.size, 0);
  });
});
