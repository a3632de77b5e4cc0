/**
 * Figures measured by the reliability tests. Each test records its figures here; the files land in
 * test/reliability/results/<id>.json and scripts/reliability-report.ts turns them into the table in
 * docs/reliability.md. Fast runs (npm test) record with mode "fast", the full suite with "full"; a
 * full figure is never overwritten by a fast one.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

export function recordFigure(f: Figure): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${f.id}.json`);
  const mode = FULL ? 'full' : 'fast';
  try {
    const prev = JSON.parse(readFileSync(file, 'utf8')) as { mode?: string };
    if (prev.mode === 'full' && mode === 'fast') return;
  } catch {
    // first time
  }
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(file, `${JSON.stringify({ ...f, mode, date, node: process.version }, null, 2)}\n`);
}
