import assert from 'node:assert/strict';
import { test } from 'node:test';
import { balancerContract, seeded } from './balancer.contract.js';
import type { Candidate } from './balancer.js';
import { ConsistentHashBalancer } from './consistent-hash.js';
import { LeastRequestsBalancer } from './least-requests.js';
import { PowerOfTwoBalancer } from './power-of-two.js';
import { RoundRobinBalancer } from './round-robin.js';

balancerContract('round-robin', () => new RoundRobinBalancer());
balancerContract('least-requests', () => new LeastRequestsBalancer());
balancerContract('power-of-two', () => new PowerOfTwoBalancer(seeded(7)));
balancerContract('consistent-hash', () => new ConsistentHashBalancer(160));

const ids = (n: number): Candidate[] =>
  Array.from({ length: n }, (_, i) => ({ id: `http://10.0.0.${i + 1}:80`, weight: 1, inflight: 0 }));

test('round-robin is smooth: weights 5,1,1 give a a b a c a a (nginx)', () => {
  const b = new RoundRobinBalancer();
  const cs: Candidate[] = [
    { id: 'a', weight: 5, inflight: 0 },
    { id: 'b', weight: 1, inflight: 0 },
    { id: 'c', weight: 1, inflight: 0 },
  ];
  assert.equal(Array.from({ length: 7 }, () => b.pick(cs)?.id).join(' '), 'a a b a c a a');
});

test('least-requests picks the target with the fewest in flight', () => {
  const b = new LeastRequestsBalancer();
  const cs: Candidate[] = [
    { id: 'a', weight: 1, inflight: 5 },
    { id: 'b', weight: 1, inflight: 0 },
    { id: 'c', weight: 1, inflight: 2 },
  ];
  for (let i = 0; i < 10; i++) assert.equal(b.pick(cs)?.id, 'b');
  // Unequal weights: load shifts share away from the busy target.
  const w: Candidate[] = [
    { id: 'a', weight: 2, inflight: 9 },
    { id: 'b', weight: 1, inflight: 0 },
  ];
  const counts = { a: 0, b: 0 };
  for (let i = 0; i < 100; i++) counts[b.pick(w)?.id as 'a' | 'b']++;
  assert.ok(counts.b > counts.a, JSON.stringify(counts));
});

test('power-of-two prefers the less loaded of its two draws', () => {
  const b = new PowerOfTwoBalancer(seeded(1));
  const cs: Candidate[] = [
    { id: 'busy', weight: 1, inflight: 50 },
    { id: 'idle', weight: 1, inflight: 0 },
  ];
  for (let i = 0; i < 50; i++) assert.equal(b.pick(cs)?.id, 'idle');
});

test('consistent-hash: the same key goes to the same target; adding or removing one of N remaps about 1/N of keys', (t) => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
  const map = (b: ConsistentHashBalancer, cs: Candidate[]) => keys.map((k) => b.pick(cs, { hashKey: k })?.id);
  for (const n of [3, 5, 10]) {
    const before = map(new ConsistentHashBalancer(), ids(n));
    assert.deepEqual(map(new ConsistentHashBalancer(), ids(n)), before, 'stable across instances');
    const grown = map(new ConsistentHashBalancer(), ids(n + 1));
    const moved = grown.filter((id, i) => id !== before[i]).length / keys.length;
    // Only keys that went to the new target moved, and they are about 1/(N+1) of all.
    assert.ok(grown.every((id, i) => id === before[i] || id === ids(n + 1)[n]?.id));
    const ideal = 1 / (n + 1);
    t.diagnostic(`N=${n}→${n + 1}: ${(moved * 100).toFixed(2)}% of keys remapped (ideal ${(ideal * 100).toFixed(2)}%)`);
    assert.ok(Math.abs(moved - ideal) <= ideal * 0.35, `moved ${moved}, ideal ${ideal}`);
    const shrunk = map(new ConsistentHashBalancer(), ids(n).slice(1));
    const movedOut = shrunk.filter((id, i) => id !== before[i]).length / keys.length;
    assert.ok(
      shrunk.every((id, i) => before[i] === ids(n)[0]?.id || id === before[i]),
      'only the removed target’s keys move',
    );
    t.diagnostic(
      `N=${n}→${n - 1}: ${(movedOut * 100).toFixed(2)}% of keys remapped (ideal ${((1 / n) * 100).toFixed(2)}%)`,
    );
    assert.ok(Math.abs(movedOut - 1 / n) <= (1 / n) * 0.35, `moved ${movedOut}, ideal ${1 / n}`);
  }
});

test('consistent-hash: a retry (excluded target) lands on the next target on the ring; no key falls back to round-robin', () => {
  const b = new ConsistentHashBalancer();
  const cs = ids(4);
  const first = b.pick(cs, { hashKey: 'session-1' });
  const second = b.pick(cs, { hashKey: 'session-1', exclude: new Set([first!.id]) });
  assert.ok(second && second.id !== first!.id);
  assert.equal(b.pick(cs, { hashKey: 'session-1', exclude: new Set([first!.id]) })?.id, second.id);
  const seen = new Set(Array.from({ length: 8 }, () => b.pick(cs)?.id));
  assert.equal(seen.size, 4);
});
