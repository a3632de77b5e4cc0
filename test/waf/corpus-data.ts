import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAcl, type CompiledAcl } from '../../src/waf/engine.js';
import { MemoryRateCounterStore } from '../../src/waf/rate.js';
import { WafRequest } from '../../src/waf/request.js';
import { webAclSchema } from '../../src/waf/schema.js';
import { fixture } from '../helpers/fixtures.js';

/** test/fixtures/waf-corpus (sources and licences in its SOURCES.md and test/fixtures/README.md). */
export const CORPUS_DIR = fixture('waf-corpus');

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

/** One row of the detection table. */
export interface Figure {
  set: CorpusSet;
  /** "all" or a provenance source. */
  source: string;
  /** Which managed group(s) judged it. */
  group: string;
  total: number;
  flagged: number;
  /** flagged / total, in percent. */
  rate: number;
}

/** ACL with the given managed groups at a sensitivity, every rule blocking. */
export function managedAcl(groups: string[], sensitivity: 'LOW' | 'HIGH'): CompiledAcl {
  const acl = webAclSchema.parse({
    defaultAction: { allow: {} },
    rules: groups.map((name, i) => ({
      name,
      priority: i,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'Portico', name, sensitivityLevel: sensitivity } },
    })),
  });
  const problems: string[] = [];
  const compiled = compileAcl(
    acl,
    {
      issue: (p, m) => problems.push(`${p.join('.')}: ${m}`),
      ipSets: {},
      regexSets: {},
      geo: undefined,
      counters: () => new MemoryRateCounterStore(),
    },
    { name: 'corpus' },
  );
  if (problems.length) throw new Error(problems.join('\n'));
  return compiled;
}

/** A request carrying the line as one query argument, percent-encoded as a browser would. */
export function requestFor(text: string): WafRequest {
  return new WafRequest({
    method: 'GET',
    uriPath: '/search',
    queryString: `q=${encodeURIComponent(text)}`,
    headers: { host: 'shop.example' },
    clientIp: '192.0.2.1',
  });
}

/**
 * Detection and false-positive figures: SQLi lines judged by the SQLi group, XSS lines by the XSS
 * group, benign lines by both (a false positive is a block by either), overall and per source.
 */
export function measure(sensitivity: 'LOW' | 'HIGH' = 'LOW'): {
  figures: Figure[];
  misses: Record<CorpusSet, CorpusLine[]>;
} {
  const plan: [CorpusSet, string[]][] = [
    ['sqli', ['PorticoSQLiRuleSet']],
    ['xss', ['PorticoXSSRuleSet']],
    ['benign', ['PorticoSQLiRuleSet', 'PorticoXSSRuleSet']],
  ];
  const figures: Figure[] = [];
  const misses: Record<CorpusSet, CorpusLine[]> = { sqli: [], xss: [], benign: [] };
  for (const [set, groups] of plan) {
    const acl = managedAcl(groups, sensitivity);
    const bySource = new Map<string, { total: number; flagged: number }>();
    let flagged = 0;
    const lines = loadCorpus(set);
    for (const l of lines) {
      const blocked = acl.evaluate(requestFor(l.text), 0).result.action === 'BLOCK';
      const s = bySource.get(l.source) ?? { total: 0, flagged: 0 };
      s.total++;
      if (blocked) {
        s.flagged++;
        flagged++;
      }
      bySource.set(l.source, s);
      if (blocked === (set === 'benign')) misses[set].push(l);
    }
    const group = groups.join('+');
    figures.push({ set, source: 'all', group, total: lines.length, flagged, rate: (100 * flagged) / lines.length });
    for (const [source, s] of bySource)
      figures.push({ set, source, group, total: s.total, flagged: s.flagged, rate: (100 * s.flagged) / s.total });
  }
  return { figures, misses };
}
