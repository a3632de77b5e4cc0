/**
 * The one balancer contract. A balancer picks one of the candidates the upstream hands it (the
 * targets that are healthy, not ejected and not drained, with their effective weights) and keeps
 * only its own bookkeeping; health, weights and in-flight counts belong to the upstream registry.
 * Every implementation passes the contract suite in balancer.contract.ts.
 */
export interface Candidate {
  /** Stable id of the endpoint (target URL plus resolved address). */
  readonly id: string;
  /** Effective weight (> 0), possibly fractional during slow start. */
  readonly weight: number;
  /** Requests in flight on this endpoint right now. */
  readonly inflight: number;
}

export interface PickRequest {
  /** Consistent-hash key (header, cookie, client IP or path); others ignore it. */
  hashKey?: string | undefined;
  /** Ids not to pick (targets already tried by this request). */
  exclude?: ReadonlySet<string> | undefined;
}

export interface Balancer {
  readonly name: string;
  /** Picks a candidate with weight > 0 that is not excluded, or undefined if there is none. */
  pick(candidates: readonly Candidate[], req?: PickRequest): Candidate | undefined;
}

export function usable(c: Candidate, exclude: ReadonlySet<string> | undefined): boolean {
  return c.weight > 0 && !exclude?.has(c.id);
}
