import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/waf-corpus beside the repository (see its SOURCES.md). */
export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'waf-corpus');

export type CorpusSet = 'sqli' | 'xss' | 'benign';

export interface CorpusLine {
  set: CorpusSet;
  line: number;
  text: string;
  /** provenance.tsv's source column (e.g. coreruleset/coreruleset). */
  source: string;
}

/**
 * Reads one labelled file. Lines that needed escaping in the .txt are taken from
 * escaped-lines.jsonl, which holds their exact text.
 */
export function loadCorpus(set: CorpusSet, dir = CORPUS_DIR): CorpusLine[] {
  const exact = new Map<number, string>();
  for (const row of readFileSync(join(dir, 'escaped-lines.jsonl'), 'utf8').split('\n')) {
    if (!row) continue;
    const r = JSON.parse(row) as { file: string; line: number; text: string };
    if (r.file === `${set}.txt`) exact.set(r.line, r.text);
  }
  const sources = new Map<number, string>();
  for (const row of readFileSync(join(dir, 'provenance.tsv'), 'utf8').split('\n').slice(1)) {
    const [file, line, source] = row.split('\t');
    if (file === `${set}.txt`) sources.set(Number(line), source ?? '');
  }
  return readFileSync(join(dir, `${set}.txt`), 'utf8')
    .split('\n')
    .map((text, i) => ({ set, line: i + 1, text: exact.get(i + 1) ?? text, source: sources.get(i + 1) ?? '' }))
    .filter((l) => l.text.length > 0);
}
