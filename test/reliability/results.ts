/**
 * Figures measured by the reliability tests. Each test records its figures here; the files land in
 * test/reliability/results/<id>.json and scripts/reliability-report.ts turns them into the table in
 * docs/reliability.md. The full suite (npm run test:reliability) records with mode "full", into files
 * that are committed, so the report can always be regenerated; the fast variants in npm test record
 * with mode "fast" under results/fast/ (not committed), used only for a figure with no full result.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** Full suite (npm run test:reliability) rather than the fast variants in npm test. */
export const FULL = process.env.PORTICO_FULL === '1';

export interface Figure {
  /** Stable id, also the file name. */
  id: string;
  /** What is measured, as it appears in the table. */
  figure: string;
  /** The measured value, formatted. */
  value: string;
  /** The target, formatted. */
  target: string;
  /** file › test name that produced it. */
  test: string;
  /** Extra numbers, kept in the JSON. */
  details?: Record<string, unknown>;
}

/** Where the fast variants' figures go (gitignored). */
export const FAST_RESULTS_DIR = join(RESULTS_DIR, 'fast');

export function recordFigure(f: Figure): void {
  const mode = FULL ? 'full' : 'fast';
  const dir = FULL ? RESULTS_DIR : FAST_RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${f.id}.json`);
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(file, `${JSON.stringify({ ...f, mode, date, node: process.version }, null, 2)}\n`);
}

/** The 99th percentile (nearest rank) of latencies; 0 for none. */
export function p99(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] ?? 0;
}
