// From measured reps to what the bench prints and writes: medians per scenario, ratios, the issue's targets
// (met / missed), and the table. Pure functions, tested in test/bench/bench.test.ts.
import { baselines, type ScenarioDef } from './scenarios.js';

/** One measured rep of one scenario. */
export interface Run {
  scenario: string;
  rep: number;
  rps: number;
  p50Us: number;
  p99Us: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Proxy CPU (user + system, all threads of its process tree) per completed request, µs. null for direct. */
  cpuUs: number | null;
  /** The same for the backend. */
  backendCpuUs: number | null;
  /** The proxy's resident memory (its whole process tree), the larger of mid-rep and end-of-rep samples, bytes. */
  rssBytes: number | null;
  /** The load generator's CPU per request (wrk, or this process with autocannon's thread), µs. */
  loadgenCpuUs?: number | null;
  /**
   * Share of the machine's CPU time (all CPUs) during the rep that none of the bench's processes used: other
   * work on the machine, plus kernel time not charged to a process. High = a noisy rep.
   */
  otherCpuPct?: number | null;
  /** Hypervisor steal during the rep, % of the machine's CPU time. */
  stealPct?: number | null;
}

export interface Row {
  scenario: string;
  num: number | undefined;
  rps: number;
  p50Us: number;
  p99Us: number;
  cpuUs: number | null;
  backendCpuUs: number | null;
  /** The largest sample over the reps. */
  rssBytes: number | null;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  vsDirect: number | null;
  vsNginx: number | null;
  /** false when the proxy ran unpinned on purpose (portico-workers2). */
  pinned: boolean;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function medianOrNull(xs: Array<number | null>): number | null {
  return xs.length && xs.every((x) => x !== null) ? median(xs as number[]) : null;
}

/** Medians of the reps per scenario, in the order given; counts are summed; RSS is the largest sample. */
export function summarize(defs: readonly ScenarioDef[], runs: Run[], unpinned: ReadonlySet<string> = new Set()): Row[] {
  const rows = defs.map((def) => {
    const mine = runs.filter((r) => r.scenario === def.name);
    const sum = (k: 'requests' | 'ok' | 'non2xx' | 'errors' | 'timeouts') => mine.reduce((a, r) => a + r[k], 0);
    const rss = mine.map((r) => r.rssBytes).filter((x): x is number => x !== null);
    return {
      scenario: def.name,
      num: def.num,
      rps: median(mine.map((r) => r.rps)),
      p50Us: median(mine.map((r) => r.p50Us)),
      p99Us: median(mine.map((r) => r.p99Us)),
      cpuUs: medianOrNull(mine.map((r) => r.cpuUs)),
      backendCpuUs: medianOrNull(mine.map((r) => r.backendCpuUs)),
      rssBytes: rss.length ? Math.max(...rss) : null,
      requests: sum('requests'),
      ok: sum('ok'),
      non2xx: sum('non2xx'),
      errors: sum('errors'),
      timeouts: sum('timeouts'),
      vsDirect: null as number | null,
      vsNginx: null as number | null,
      pinned: !unpinned.has(def.name),
    };
  });
  const rpsOf = (name: string) => rows.find((r) => r.scenario === name)?.rps;
  for (const [i, row] of rows.entries()) {
    const base = baselines(defs[i]!);
    const direct = rpsOf(base.direct);
    const nginx = rpsOf(base.nginx);
    row.vsDirect = direct ? row.rps / direct : null;
    row.vsNginx = nginx ? row.rps / nginx : null;
  }
  return rows;
}

/** One target's latency at the pass's constant rate: medians of the reps, errors and non-2xx summed. */
export interface LatencyPoint {
  p50Us: number;
  p99Us: number;
  errors: number;
  non2xx: number;
}

/** The machine's own stalls on one CPU: what bench/hiccup.mjs saw spinning alone on it. */
export interface Hiccups {
  cpu: number;
  seconds: number;
  maxMs: number;
  over1ms: number;
  stalledMs: number;
}

/**
 * The latency pass: direct, portico and (when they ran) the minimal proxy and nginx, at the same constant rate,
 * half of portico's measured maximum.
 */
export interface LatencyAtLoad {
  rate: number;
  direct: LatencyPoint;
  portico: LatencyPoint;
  /** The references measured in the same pass, by scenario name (`minimal`, `nginx`). */
  peers?: Record<string, LatencyPoint>;
  /** p99(portico) − p99(direct), µs. */
  addedP99Us: number;
  /** Measured just before the pass, per CPU the proxies and the load ran on. */
  hiccups?: Hiccups[];
}

export type GoalStatus = 'met' | 'missed' | 'not run';

export interface Goal {
  /** The issue's scenario number the target is about. */
  num: number | undefined;
  what: string;
  value: number | null;
  op: '<=' | '>=';
  bound: number;
  unit: 'x' | 'MB' | 'ms';
  status: GoalStatus;
  /** Why it was not run (a scenario it needs is missing). */
  note?: string;
  /**
   * For a ratio: the same ratio rep by rep (each rep's two runs were taken minutes apart at most), its
   * smallest, median and largest. The status is still the ratio of the two medians; a wide spread says
   * how much of the value is the machine.
   */
  perRep?: { min: number; median: number; max: number };
}

const MB = 1024 * 1024;

/**
 * The issue's targets, from one run's rows. A target whose inputs were not measured (a peer not installed,
 * a scenario left out with --only) is "not run", never met.
 */
/** The two kinds of target, over one run's rows and reps: a ratio of two rows' medians, and a computed value. */
export function goalKit(rows: Row[], runs: readonly Run[]) {
  const get = (name: string) => rows.find((r) => r.scenario === name && r.ok > 0);
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b ? a / b : null);
  const perRep = (a: string, b: string, field: 'rps' | 'cpuUs'): Goal['perRep'] => {
    const xs: number[] = [];
    for (const ra of runs) {
      const rb = runs.find((r) => r.scenario === b && r.rep === ra.rep);
      const x = ra.scenario === a && rb ? ratio(ra[field], rb[field]) : null;
      if (x !== null) xs.push(x);
    }
    return xs.length > 1 ? { min: Math.min(...xs), median: median(xs), max: Math.max(...xs) } : undefined;
  };
  const ratioGoal = (
    num: number | undefined,
    what: string,
    a: string,
    b: string,
    field: 'rps' | 'cpuUs',
    op: Goal['op'],
    bound: number,
  ): Goal => {
    const g = goal(num, what, [a, b], () => ratio(get(a)![field], get(b)![field]), op, bound, 'x');
    const spread = g.value === null ? undefined : perRep(a, b, field);
    return spread ? { ...g, perRep: spread } : g;
  };
  const goal = (
    num: number | undefined,
    what: string,
    needs: string[],
    value: () => number | null,
    op: Goal['op'],
    bound: number,
    unit: Goal['unit'],
  ): Goal => {
    const missing = needs.filter((n) => !get(n));
    const v = missing.length ? null : value();
    const status: GoalStatus = v === null ? 'not run' : (op === '<=' ? v <= bound : v >= bound) ? 'met' : 'missed';
    return {
      num,
      what,
      value: v,
      op,
      bound,
      unit,
      status,
      ...(v === null ? { note: missing.length ? `needs ${missing.join(', ')}` : 'no CPU figures' } : {}),
    };
  };
  return { get, ratio, goal, ratioGoal };
}

export function evaluateGoals(rows: Row[], latency: LatencyAtLoad | undefined, runs: readonly Run[] = []): Goal[] {
  const { get, goal, ratioGoal } = goalKit(rows, runs);
  const goals = [
    ratioGoal(4, 'plain proxy CPU/request vs minimal', 'portico', 'minimal', 'cpuUs', '<=', 1.15),
    ratioGoal(5, 'full chain RPS vs fast-gateway', 'portico-full', 'fast-gateway', 'rps', '>=', 1.6),
    ratioGoal(5, 'full chain RPS vs nginx', 'portico-full', 'nginx', 'rps', '>=', 0.3),
    ratioGoal(7, 'cache hit RPS vs nginx', 'portico-cached', 'nginx', 'rps', '>=', 1.0),
    ratioGoal(8, '10,000 routes RPS vs #4', 'portico-10k-routes', 'portico', 'rps', '>=', 0.95),
    ratioGoal(8, '10,000 routes CPU/request vs #4', 'portico-10k-routes', 'portico', 'cpuUs', '<=', 1.05),
    goal(
      8,
      '10,000 routes RSS',
      ['portico-10k-routes'],
      () => {
        const bytes = get('portico-10k-routes')!.rssBytes;
        return bytes === null ? null : bytes / MB;
      },
      '<=',
      150,
      'MB',
    ),
    // Not from issue #9: the observability work's own target, kept from the earlier harness.
    ratioGoal(undefined, 'metrics + access log RPS vs #4', 'portico-observed', 'portico', 'rps', '>=', 0.9),
  ];
  const lat: Goal = latency
    ? {
        num: 4,
        what: `p99 added latency at 50% of max (${Math.round(latency.rate)} rps)`,
        value: latency.addedP99Us / 1000,
        op: '<=',
        bound: 1,
        unit: 'ms',
        status: latency.addedP99Us <= 1000 ? 'met' : 'missed',
      }
    : {
        num: 4,
        what: 'p99 added latency at 50% of max',
        value: null,
        op: '<=',
        bound: 1,
        unit: 'ms',
        status: 'not run',
        note: 'needs direct and portico, and neither --smoke nor --no-latency',
      };
  return [...goals, lat];
}

function formatValue(v: number | null, unit: Goal['unit']): string {
  if (v === null) return '-';
  return unit === 'x' ? `${v.toFixed(2)}×` : unit === 'MB' ? `${v.toFixed(0)} MB` : `${v.toFixed(2)} ms`;
}

/** Latency in ms: µs precision from wrk and fixed-rate; autocannon keeps whole ms, so its 0 means "under 1". */
export function formatMs(us: number, wholeMs = false): string {
  if (wholeMs) return us < 1000 ? '<1' : String(Math.round(us / 1000));
  return (us / 1000).toFixed(2);
}

/** A plain-text table; the columns in `left` are left-aligned, the others (numbers) right-aligned. */
function table(head: string[], body: string[][], left: readonly number[] = [0, 1]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (left.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function formatRows(rows: Row[], wholeMs: boolean): string {
  const head = [
    '#',
    'scenario',
    'RPS',
    'p50 ms',
    'p99 ms',
    'cpu µs/req',
    'RSS MB',
    'backend µs/req',
    'non-2xx',
    'errors',
    'vs direct',
    'vs nginx',
  ];
  const f = (x: number | null, digits = 0) => (x === null ? 'n/a' : x.toFixed(digits));
  const body = rows.map((r) => [
    r.num === undefined ? '' : String(r.num),
    r.pinned ? r.scenario : `${r.scenario} (unpinned)`,
    r.rps.toFixed(0),
    formatMs(r.p50Us, wholeMs),
    formatMs(r.p99Us, wholeMs),
    f(r.cpuUs),
    r.rssBytes === null ? 'n/a' : (r.rssBytes / MB).toFixed(0),
    f(r.backendCpuUs),
    String(r.non2xx),
    String(r.errors),
    r.vsDirect === null ? '-' : r.vsDirect.toFixed(2),
    r.vsNginx === null ? '-' : r.vsNginx.toFixed(2),
  ]);
  return table(head, body);
}

export function formatGoals(goals: Goal[], title = 'target (issue #9)'): string {
  const spread = (g: Goal) =>
    g.perRep ? `${g.perRep.min.toFixed(2)} / ${g.perRep.median.toFixed(2)} / ${g.perRep.max.toFixed(2)}` : '';
  const body = goals.map((g) => [
    g.num === undefined ? '' : String(g.num),
    g.what,
    formatValue(g.value, g.unit),
    `${g.op === '<=' ? '≤' : '≥'} ${g.unit === 'x' ? `${g.bound.toFixed(2)}×` : `${g.bound} ${g.unit}`}`,
    g.status === 'not run' ? `not run (${g.note})` : g.status,
    spread(g),
  ]);
  return table(['#', title, 'value', 'goal', 'status', 'per rep: min / median / max'], body, [0, 1, 4, 5]);
}

export function formatLatency(l: LatencyAtLoad, reps: number, seconds: number): string {
  const line = (name: string, p: LatencyPoint) => {
    const added = name === 'direct' ? '' : `  added p99 ${formatMs(p.p99Us - l.direct.p99Us)} ms`;
    return `  ${name.padEnd(8)} p50 ${formatMs(p.p50Us)} ms  p99 ${formatMs(p.p99Us)} ms${added}`;
  };
  const out = [
    `latency at a constant ${Math.round(l.rate)} rps (50% of portico's max; open loop, ${reps} × ${seconds} s, medians):`,
    line('direct', l.direct),
    ...Object.entries(l.peers ?? {}).map(([name, p]) => line(name, p)),
    line('portico', l.portico),
  ];
  for (const h of l.hiccups ?? []) {
    out.push(
      `  the machine: a process spinning alone on CPU ${h.cpu} for ${h.seconds} s stalled ${h.over1ms}× over 1 ms (longest ${h.maxMs.toFixed(1)} ms)`,
    );
  }
  return out.join('\n');
}

/**
 * What one feature costs on Portico's path: `a` against `b` from the same run (RPS ratio, and the extra CPU per
 * request as a share). Only for pairs that were both measured.
 */
export const COST_PAIRS = [
  ['portico-full', 'portico', 'API key + usage-plan throttle + metrics + access log'],
  ['portico-jwt', 'portico', 'JWT (RS256) authorizer'],
  ['portico-observed', 'portico', 'metrics + JSON access log to a file'],
  ['portico-10k-routes', 'portico', '10,000 routes'],
  ['portico-throttle', 'portico', 'stage throttle, in process'],
  ['portico-throttle-redis', 'portico-throttle', 'stage throttle in Redis (one EVALSHA per request)'],
  ['portico-workers2', 'portico', '--workers 2 (unpinned) against one pinned process'],
] as const;

export interface Cost {
  scenario: string;
  against: string;
  what: string;
  rpsRatio: number;
  cpuOverhead: number | null;
}

export function costs(rows: Row[]): Cost[] {
  const out: Cost[] = [];
  for (const [a, b, what] of COST_PAIRS) {
    const x = rows.find((r) => r.scenario === a && r.ok > 0);
    const y = rows.find((r) => r.scenario === b && r.ok > 0);
    if (!x || !y || y.rps === 0) continue;
    const cpuOverhead = x.cpuUs !== null && y.cpuUs ? x.cpuUs / y.cpuUs - 1 : null;
    out.push({ scenario: a, against: b, what, rpsRatio: x.rps / y.rps, cpuOverhead });
  }
  return out;
}

export function formatCosts(list: Cost[]): string {
  return list
    .map((c) => {
      const cpu =
        c.cpuOverhead === null
          ? ''
          : `, CPU/request ${c.cpuOverhead >= 0 ? '+' : ''}${(c.cpuOverhead * 100).toFixed(0)}%`;
      return `${c.scenario} / ${c.against}: RPS ${c.rpsRatio.toFixed(2)}×${cpu}  (${c.what})`;
    })
    .join('\n');
}

/** A warning when the machine was busy with other work during the reps (median share of its CPU), else undefined. */
export function noiseWarning(runs: Run[], thresholdPct = 10, stealPct = 5): string | undefined {
  const out: string[] = [];
  const other = runs.map((r) => r.otherCpuPct).filter((x): x is number => typeof x === 'number');
  const m = other.length ? median(other) : 0;
  if (m > thresholdPct) {
    out.push(
      `the machine was busy: other work used ${m.toFixed(0)}% of its CPU time during a median rep (max ${Math.max(...other).toFixed(0)}%); these figures are noisy, rerun on a quiet machine`,
    );
  }
  // Steal: time the hypervisor gave this VM's CPUs to someone else. A rep with much of it runs slow
  // whatever the proxy does; the median over the reps is what keeps one such rep out of the table.
  const stolen = runs.filter((r) => typeof r.stealPct === 'number' && r.stealPct > stealPct);
  if (stolen.length) {
    const max = Math.max(...stolen.map((r) => r.stealPct as number));
    const reps = [...new Set(stolen.map((r) => r.rep))].sort((a, b) => a - b);
    out.push(
      `the hypervisor took over ${stealPct}% of the CPU time (steal) in ${stolen.length} of ${runs.length} measured runs (rep ${reps.join(', ')}; max ${max.toFixed(0)}%): those runs are slow whatever the proxy does; compare the reps in the JSON`,
    );
  }
  return out.length ? out.join('\nwarning: ') : undefined;
}
