import { ACCESS_PHASES, type AccessPhase } from '../kernel/lifecycle.js';

/**
 * The fixed phases a request runs through after routing, in order (DESIGN §2, docs/pipeline.md): the
 * access slice of the one lifecycle list, src/kernel/lifecycle.ts. A policy belongs to exactly one
 * phase. Its handler returns a Reply to end the request with a gateway response, or nothing to go on;
 * it never calls next().
 */
export const PHASES = ACCESS_PHASES;
export type Phase = AccessPhase;

export const PHASE_ORDER: Readonly<Record<Phase, number>> = Object.fromEntries(PHASES.map((p, i) => [p, i])) as Record<
  Phase,
  number
>;
