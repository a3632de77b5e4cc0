import { type Balancer, type Candidate, type PickRequest, usable } from './balancer.js';
import { RoundRobinBalancer } from './round-robin.js';

/**
 * Least outstanding requests. With equal weights: the candidate with the fewest requests in
 * flight, ties taken in turn. With unequal weights (as Envoy does): smooth round-robin over
 * weight / (in-flight + 1), so an idle pool keeps the configured ratio and a loaded target gets less.
 */
export class LeastRequestsBalancer implements Balancer {
  readonly name = 'least-requests';
  #rr = new RoundRobinBalancer();
  #turn = 0;

  pick(candidates: readonly Candidate[], req?: PickRequest): Candidate | undefined {
    const exclude = req?.exclude;
    let weight: number | undefined;
    let equal = true;
    for (const c of candidates) {
      if (!usable(c, exclude)) continue;
      if (weight === undefined) weight = c.weight;
      else if (c.weight !== weight) {
        equal = false;
        break;
      }
    }
    if (weight === undefined) return undefined;
    if (!equal) return this.#rr.pickWeighted(candidates, (c) => c.weight / (c.inflight + 1), exclude);
    const n = candidates.length;
    const start = this.#turn++ % n;
    let best: Candidate | undefined;
    for (let k = 0; k < n; k++) {
      const c = candidates[(start + k) % n] as Candidate;
      if (!usable(c, exclude)) continue;
      if (!best || c.inflight < best.inflight) best = c;
    }
    return best;
  }
}
