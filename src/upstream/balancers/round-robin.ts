import { type Balancer, type Candidate, type PickRequest, usable } from './balancer.js';

/**
 * Smooth weighted round-robin, as nginx does it: every pick adds each weight to its running
 * score, takes the highest and subtracts the total from it. Weights 5,1,1 give a a b a c a a,
 * never a burst to one target. State is keyed by candidate id, so the set may change between picks.
 */
export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin';
  #current = new Map<string, number>();

  pick(candidates: readonly Candidate[], req?: PickRequest): Candidate | undefined {
    return this.pickWeighted(candidates, (c) => c.weight, req?.exclude);
  }

  /** Smooth WRR with weights from `weightOf` (least-requests uses it with load-adjusted weights). */
  pickWeighted(candidates: readonly Candidate[], weightOf: (c: Candidate) => number, exclude?: ReadonlySet<string>): Candidate | undefined {
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    let total = 0;
    const cur = this.#current;
    for (const c of candidates) {
      if (!usable(c, exclude)) continue;
      const w = weightOf(c);
      if (!(w > 0)) continue;
      const score = (cur.get(c.id) ?? 0) + w;
      cur.set(c.id, score);
      total += w;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    if (!best) return undefined;
    cur.set(best.id, bestScore - total);
    // Forget ids that left the set (DNS churn) so the map stays bounded.
    if (cur.size > candidates.length * 2 + 16) {
      const live = new Set(candidates.map((c) => c.id));
      for (const id of cur.keys()) if (!live.has(id)) cur.delete(id);
    }
    return best;
  }
}
