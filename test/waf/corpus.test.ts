import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Figure, measure } from './corpus-data.js';

/**
 * Detection quality on test/fixtures/waf-corpus at the default sensitivity (LOW), as docs/waf.md
 * reports it: SQLi and XSS detection ≥ 95%, false positives ≤ 0.5% on the benign set.
 * `npx tsx scripts/waf-corpus.ts` prints the same figures as a table.
 */
describe('WAF detection on the labelled corpus', () => {
  const { figures } = measure('LOW');
  const all = (set: Figure['set']) => figures.find((f) => f.set === set && f.source === 'all') as Figure;

  test('SQL injection: detection ≥ 95%', () => {
    const f = all('sqli');
    assert.ok(f.total > 6000, `corpus has ${f.total} SQLi lines`);
    assert.ok(f.rate >= 95, `SQLi detection ${f.rate.toFixed(2)}% (${f.flagged}/${f.total})`);
  });

  test('cross-site scripting: detection ≥ 95%', () => {
    const f = all('xss');
    assert.ok(f.total > 3000, `corpus has ${f.total} XSS lines`);
    assert.ok(f.rate >= 95, `XSS detection ${f.rate.toFixed(2)}% (${f.flagged}/${f.total})`);
  });

  test('benign inputs: false positives ≤ 0.5% (SQLi and XSS groups together)', () => {
    const f = all('benign');
    assert.ok(f.total > 5000, `corpus has ${f.total} benign lines`);
    assert.ok(f.rate <= 0.5, `false positives ${f.rate.toFixed(2)}% (${f.flagged}/${f.total})`);
  });
});
