// `--compare <ref>`: Portico built from another commit, measured in the same run as this checkout's, so a refactor
// can be judged old against new on the same machine in the same minutes. The other commit is extracted with
// `git archive` into the gitignored bench/.compare/<sha>/ (a plain snapshot, not a registered worktree: removing the
// folder is all the cleanup there is), given this checkout's node_modules when its package.json asks for nothing
// else (else `npm ci` there), and built once. Its rows are `<scenario>@<sha7>`, each right after its own scenario.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runToEnd, trackTempDir } from './proc.js';
import { median, type Run } from './report.js';
import type { ScenarioDef } from './scenarios.js';

export interface Checkout {
  ref: string;
  sha: string;
  short: string;
  root: string;
  deps: 'symlinked' | 'npm ci';
}

/** The commit `ref` names in the repository at `root`, or an error saying what git said. */
export function resolveRef(root: string, ref: string): { sha: string; short: string } {
  try {
    const sha = execFileSync('git', ['-C', root, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      encoding: 'utf8',
    }).trim();
    return { sha, short: sha.slice(0, 7) };
  } catch {
    throw new Error(`--compare: "${ref}" is not a commit of ${root}`);
  }
}

type Pkg = { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

/**
 * Can the other checkout run on this one's node_modules? Yes when every package it lists (runtime and build) is
 * listed here with the same range; packages only this checkout has (a new linter) do no harm. Else the first
 * that differs.
 */
export function depsCompatible(other: Pkg, mine: Pkg): { ok: true } | { ok: false; why: string } {
  const have = { ...mine.devDependencies, ...mine.dependencies };
  for (const [name, range] of Object.entries({ ...other.devDependencies, ...other.dependencies })) {
    if (have[name] !== range) return { ok: false, why: `${name} ${range} (here: ${have[name] ?? 'absent'})` };
  }
  return { ok: true };
}

/** Extracts, installs and builds `ref` under bench/.compare/<sha>/, once: a finished one is reused. */
export async function prepareCheckout(root: string, ref: string, log: (line: string) => void): Promise<Checkout> {
  const { sha, short } = resolveRef(root, ref);
  const dir = join(root, 'bench/.compare', sha);
  const ready = join(dir, '.bench-ready');
  if (existsSync(ready)) {
    log(`bench: --compare ${ref}: reusing ${dir}`);
    return { ref, sha, short, root: dir, deps: readFileSync(ready, 'utf8').trim() as Checkout['deps'] };
  }
  // Built beside its final place and renamed when done, so an interrupted build is never taken for a finished one.
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const removePartial = trackTempDir(partial);
  const tar = join(root, 'bench/.compare', `${sha}.tar`);
  log(`bench: --compare ${ref}: extracting ${short} into ${dir}`);
  await runToEnd(['git', '-C', root, 'archive', '--format=tar', '-o', tar, sha], undefined, 120_000);
  try {
    await runToEnd(['tar', '-xf', tar, '-C', partial], undefined, 120_000);
  } finally {
    rmSync(tar, { force: true });
  }
  const read = (d: string) => JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as Pkg;
  const compat = depsCompatible(read(partial), read(root));
  let deps: Checkout['deps'];
  if (compat.ok) {
    symlinkSync(realpathSync(join(root, 'node_modules')), join(partial, 'node_modules'));
    deps = 'symlinked';
    log(`bench: --compare ${ref}: its package.json asks for nothing this node_modules lacks: symlinked`);
  } else {
    log(`bench: --compare ${ref}: its dependencies differ (${compat.why}): npm ci there`);
    await runToEnd(['npm', 'ci', '--prefix', partial, '--no-audit', '--no-fund'], undefined, 900_000);
    deps = 'npm ci';
  }
  log(`bench: --compare ${ref}: npm run build`);
  await runToEnd(['npm', '--prefix', partial, 'run', 'build'], undefined, 600_000);
  if (!existsSync(join(partial, 'dist/cli/main.js'))) throw new Error(`--compare: ${short} built no dist/cli/main.js`);
  writeFileSync(join(partial, '.bench-ready'), `${deps}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  removePartial();
  return { ref, sha, short, root: dir, deps };
}

/** Each selected Portico scenario, followed by its twin on the other checkout. */
export function withTwins(
  selected: readonly ScenarioDef[],
  checkout: Pick<Checkout, 'short' | 'root'> | undefined,
): ScenarioDef[] {
  if (!checkout) return [...selected];
  return selected.flatMap((s) =>
    s.target.startsWith('portico-')
      ? [s, { ...s, name: `${s.name}@${checkout.short}`, num: undefined, smoke: false, checkout }]
      : [s],
  );
}

/**
 * The order of one rep: twins swap places every other rep (A A' B B', then A' A B' B, …), so neither checkout is
 * always the one measured first.
 */
export function repOrder(defs: readonly ScenarioDef[], rep: number): ScenarioDef[] {
  const out = [...defs];
  if (rep % 2 === 1) return out;
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i + 1]!.checkout && !out[i]!.checkout) {
      [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      i++;
    }
  }
  return out;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One measure (RPS, or CPU per request) of a scenario against its twin. */
export interface Measure {
  /** Over the reps, this checkout's and the other one's. */
  now: Spread;
  old: Spread;
  /** now ÷ old of the medians. */
  ratio: number;
  /** The same ratio within each rep (the two runs of a rep are seconds apart). */
  perRep: Spread | undefined;
  /**
   * From the per-rep ratios, each of two runs seconds apart: they fall on both sides of 1, or the ratio of the
   * medians is off 1 by no more than half their spread ((max − min) / 2). Not whether the rows' ranges overlap: a
   * rep slowed by other work slows both runs of it, widens both ranges, and would hide any difference.
   */
  withinNoise: boolean;
}

export interface Comparison {
  scenario: string;
  against: string;
  rps: Measure;
  cpu: Measure | undefined;
  /** Both measures within noise. */
  withinNoise: boolean;
}

function spread(xs: number[]): Spread | undefined {
  return xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) } : undefined;
}

function measure(mine: Run[], theirs: Run[], field: 'rps' | 'cpuUs'): Measure | undefined {
  const values = (rs: Run[]) => (rs.every((r) => r[field] !== null) ? spread(rs.map((r) => r[field]!)) : undefined);
  const now = values(mine);
  const old = values(theirs);
  if (!now || !old || old.median === 0) return undefined;
  const ratios = mine.flatMap((a) => {
    const b = theirs.find((r) => r.rep === a.rep);
    return b && b[field] ? [a[field]! / b[field]!] : [];
  });
  const ratio = now.median / old.median;
  const perRep = spread(ratios);
  const withinNoise =
    perRep !== undefined &&
    ((perRep.min <= 1 && 1 <= perRep.max) || Math.abs(ratio - 1) <= (perRep.max - perRep.min) / 2);
  return { now, old, ratio, perRep, withinNoise };
}

/** Every scenario against its twin, from the reps of one run. */
export function compareTwins(defs: readonly ScenarioDef[], runs: readonly Run[]): Comparison[] {
  const out: Comparison[] = [];
  for (const twin of defs.filter((d) => d.checkout)) {
    const base = defs.find((d) => !d.checkout && twin.name === `${d.name}@${twin.checkout!.short}`);
    if (!base) continue;
    const mine = runs.filter((r) => r.scenario === base.name && r.ok > 0);
    const theirs = runs.filter((r) => r.scenario === twin.name && r.ok > 0);
    const rps = measure(mine, theirs, 'rps');
    if (!rps) continue;
    const cpu = measure(mine, theirs, 'cpuUs');
    out.push({
      scenario: base.name,
      against: twin.name,
      rps,
      cpu,
      withinNoise: rps.withinNoise && (cpu?.withinNoise ?? true),
    });
  }
  return out;
}

export function formatComparisons(list: Comparison[]): string {
  const one = (label: string, m: Measure) => {
    const reps = m.perRep ? ` (per rep ${m.perRep.min.toFixed(2)}–${m.perRep.max.toFixed(2)})` : '';
    const range = (s: Spread) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
    return `  ${label} ${m.ratio.toFixed(2)}×${reps}; median (min–max) new ${range(m.now)}, old ${range(m.old)}: ${m.withinNoise ? 'within noise' : 'NOT within noise'}`;
  };
  return list
    .flatMap((c) => [
      `${c.scenario} new/old (${c.against}): ${c.withinNoise ? 'within noise' : 'NOT within noise'}`,
      one('RPS        ', c.rps),
      ...(c.cpu ? [one('CPU µs/req ', c.cpu)] : []),
    ])
    .join('\n');
}
