import { type Balancer, type Candidate, type PickRequest, usable } from './balancer.js';

/**
 * Power of two choices: two distinct candidates drawn at random in proportion to weight, and the
 * one with fewer requests in flight per unit of weight wins (the first on a tie). Cheap, needs no
 * shared state, and avoids herding onto one "least loaded" target.
 */
export class PowerOfTwoBalancer implements Balancer {
  readonly name = 'power-of-two';
  #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  pick(candidates: readonly Candidate[], req?: PickRequest): Candidate | undefined {
    const exclude = req?.exclude;
    let total = 0;
    for (const c of candidates) if (usable(c, exclude)) total += c.weight;
    if (total <= 0) return undefined;
    const a = this.#draw(candidates, exclude, total, undefined);
    if (!a) return undefined;
    const b = total - a.weight > 0 ? this.#draw(candidates, exclude, total - a.weight, a) : undefined;
    if (!b) return a;
    return b.inflight / b.weight < a.inflight / a.weight ? b : a;
  }

  #draw(
    candidates: readonly Candidate[],
    exclude: ReadonlySet<string> | undefined,
    total: number,
    skip: Candidate | undefined,
  ): Candidate | undefined {
    let r = this.#random() * total;
    let last: Candidate | undefined;
    for (const c of candidates) {
      if (c === skip || !usable(c, exclude)) continue;
      last = c;
      r -= c.weight;
      if (r < 0) return c;
    }
    return last;
  }
}
