// Issue #18's targets (Portico's own HTTP/1.1 engine), from the same run's medians as issue #9's: each met,
// missed or not run (a row it needs was not in the run). Pure, tested in test/bench/peers.test.ts.
import { type Goal, goalKit, type LatencyAtLoad, type Row, type Run } from './report.js';

export function evaluateGoals18(rows: Row[], latency: LatencyAtLoad | undefined, runs: readonly Run[] = []): Goal[] {
  const { ratioGoal } = goalKit(rows, runs);
  return [
    ratioGoal(4, 'plain proxy RPS vs nginx', 'portico', 'nginx', 'rps', '>=', 0.6),
    ratioGoal(4, 'plain proxy RPS vs Caddy', 'portico', 'caddy', 'rps', '>=', 2.5),
    ratioGoal(5, 'full chain RPS vs nginx', 'portico-full', 'nginx', 'rps', '>=', 0.5),
    ratioGoal(7, 'cache hit RPS vs nginx proxying', 'portico-cached', 'nginx', 'rps', '>=', 1.0),
    ratioGoal(8, '10,000 routes RPS vs 10 routes', 'portico-10k-routes', 'portico-10-routes', 'rps', '>=', 0.95),
    addedP99Goal(latency),
    ratioGoal(9, '--workers 2 (unpinned) RPS vs one worker', 'portico-workers2', 'portico', 'rps', '>=', 1.8),
  ];
}

/**
 * Portico's added p99 (p99 − direct's p99) at 50 % of its max, over nginx's in the same constant-rate pass: within
 * 2× nginx's. Undefined when nginx added nothing measurable (its p99 at or under direct's).
 */
function addedP99Goal(latency: LatencyAtLoad | undefined): Goal {
  const base = { num: 4, op: '<=' as const, bound: 2, unit: 'x' as const };
  const nginx = latency?.peers?.nginx;
  if (!latency || !nginx)
    return {
      ...base,
      what: 'added p99 at 50% of max vs nginx added p99',
      value: null,
      status: 'not run',
      note: 'needs direct, nginx and portico in the latency pass (not with --smoke or --no-latency)',
    };
  const what = `added p99 at 50% of max (${Math.round(latency.rate)} rps) vs nginx added p99`;
  const nginxAdded = nginx.p99Us - latency.direct.p99Us;
  if (nginxAdded <= 0)
    return {
      ...base,
      what,
      value: null,
      status: 'not run',
      note: `nginx's p99 was at or under direct's (${(nginxAdded / 1000).toFixed(2)} ms added): no ratio`,
    };
  const value = latency.addedP99Us / nginxAdded;
  return { ...base, what, value, status: value <= 2 ? 'met' : 'missed' };
}

/** What the harness prints under the #18 table: the parts of the targets it does not compute, and why. */
export const GOALS18_NOT_COMPUTED = [
  "each miss's profile: `npm run bench:profile` (one variant at a time, its own run) gives where the time goes; the bench does not profile while it measures",
  '--workers 2: on a 2-CPU machine the backend and the load generator share the CPUs with the two workers, so the ratio is bounded by the machine, not by Portico',
];
