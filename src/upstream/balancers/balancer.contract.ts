import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Balancer, Candidate } from './balancer.js';

/** A seeded PRNG (mulberry32), so distribution tests are repeatable. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cands = (...weights: number[]): Candidate[] => weights.map((weight, i) => ({ id: `t${i}`, weight, inflight: 0 }));

/** Picks `n` times (with a fresh random hash key each time) and returns the share per id. */
function shares(b: Balancer, cs: readonly Candidate[], n: number, rnd: () => number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = b.pick(cs, { hashKey: `key-${Math.floor(rnd() * 1e12)}` });
    assert.ok(c, 'a pick');
    counts.set(c.id, (counts.get(c.id) ?? 0) + 1);
  }
  return new Map([...counts].map(([k, v]) => [k, v / n]));
}

/**
 * The contract every Balancer keeps, run against each implementation (balancers.test.ts):
 * picks only usable candidates, honours exclusions, and follows the weights within ±3 percentage
 * points over 10,000 picks (with random hash keys for the consistent-hash balancer).
 */
export function balancerContract(name: string, make: () => Balancer): void {
  describe(`Balancer contract: ${name}`, () => {
    test('no candidates, or only weight 0, gives undefined', () => {
      const b = make();
      assert.equal(b.pick([]), undefined);
      assert.equal(b.pick(cands(0, 0), { hashKey: 'k' }), undefined);
    });

    test('a single candidate is always picked', () => {
      const b = make();
      const cs = cands(3);
      for (let i = 0; i < 20; i++) assert.equal(b.pick(cs, { hashKey: `k${i}` })?.id, 't0');
    });

    test('never picks a weight-0 or excluded candidate; all excluded gives undefined', () => {
      const b = make();
      const cs = cands(1, 0, 1, 1);
      const exclude = new Set(['t2']);
      for (let i = 0; i < 200; i++) {
        const c = b.pick(cs, { hashKey: `k${i}`, exclude });
        assert.ok(c && c.id !== 't1' && c.id !== 't2', `picked ${c?.id}`);
      }
      assert.equal(b.pick(cs, { hashKey: 'k', exclude: new Set(['t0', 't2', 't3']) }), undefined);
    });

    for (const weights of [
      [1, 1, 1],
      [1, 2, 3],
      [90, 10],
      [5, 1, 1, 3],
    ]) {
      test(`10,000 picks follow weights ${weights.join('/')} within ±3 points`, () => {
        const b = make();
        const cs = cands(...weights);
        const total = weights.reduce((s, w) => s + w, 0);
        const got = shares(b, cs, 10_000, seeded(42));
        weights.forEach((w, i) => {
          const share = got.get(`t${i}`) ?? 0;
          const want = w / total;
          assert.ok(Math.abs(share - want) <= 0.03, `t${i}: share ${share.toFixed(4)}, want ${want.toFixed(4)} ±0.03`);
        });
      });
    }

    test('the set may change between picks (targets join and leave)', () => {
      const b = make();
      let cs = cands(1, 1);
      for (let i = 0; i < 10; i++) assert.ok(b.pick(cs, { hashKey: `k${i}` }));
      cs = [...cs, { id: 'new', weight: 1, inflight: 0 }];
      const seen = new Set<string>();
      for (let i = 0; i < 300; i++) seen.add((b.pick(cs, { hashKey: `k${i}` }) as Candidate).id);
      assert.ok(seen.has('new'));
      cs = cs.slice(1);
      for (let i = 0; i < 100; i++) assert.notEqual(b.pick(cs, { hashKey: `k${i}` })?.id, 't0');
    });
  });
}
