import type { Balancer, Candidate, PickRequest } from './balancer.js';

/**
 * Smooth weighted round-robin, as nginx does it: every pick adds each weight to its running
 * score, takes the highest and subtracts the total from it. Weights 5,1,1 give a a b a c a a,
 * never a burst to one target. State is keyed by candidate id, so the set may change between picks.
 */
export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin';
  /** Running score and the pick number at which each id was last among the candidates. */
  #current = new Map<string, { score: number; seen: number }>();
  #picks = 0;
  #present = 0;

  pick(candidates: readonly Candidate[], req?: PickRequest): Candidate | undefined {
    return this.pickWeighted(candidates, (c) => c.weight, req?.exclude);
  }

  /** Smooth WRR with weights from `weightOf` (least-requests uses it with load-adjusted weights). */
  pickWeighted(
    candidates: readonly Candidate[],
    weightOf: (c: Candidate) => number,
    exclude?: ReadonlySet<string>,
  ): Candidate | undefined {
    let best: Candidate | undefined;
    let bestState: { score: number; seen: number } | undefined;
    let total = 0;
    const cur = this.#current;
    const pickNo = ++this.#picks;
    // When the set changes (a target drained, weighted 0, unhealthy, or back), every score starts
    // over, so a stale debt or credit does not starve or flood a target.
    let present = 0;
    let changed = false;
    for (const c of candidates) {
      if (!(c.weight > 0)) continue;
      present++;
      const st = cur.get(c.id);
      if (!st) {
        cur.set(c.id, { score: 0, seen: pickNo });
        changed = true;
      } else {
        if (st.seen !== pickNo - 1) changed = true;
        st.seen = pickNo;
      }
    }
    if (changed || present !== this.#present) for (const c of candidates) if (c.weight > 0) cur.get(c.id)!.score = 0;
    this.#present = present;
    for (const c of candidates) {
      if (!(c.weight > 0) || exclude?.has(c.id)) continue;
      const st = cur.get(c.id)!;
      const w = weightOf(c);
      if (!(w > 0)) continue;
      st.score += w;
      total += w;
      if (!bestState || st.score > bestState.score) {
        bestState = st;
        best = c;
      }
    }
    if (!best) return undefined;
    bestState!.score -= total;
    // Forget ids that left the set (DNS churn) so the map stays bounded.
    if (cur.size > candidates.length * 2 + 16) {
      const live = new Set(candidates.map((c) => c.id));
      for (const id of cur.keys()) if (!live.has(id)) cur.delete(id);
    }
    return best;
  }
}
