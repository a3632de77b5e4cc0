/**
 * Prints the WAF's detection and false-positive figures on test/fixtures/waf-corpus (docs/waf.md).
 * Usage: npx tsx scripts/waf-corpus.ts [LOW|HIGH] [--misses sqli|xss|benign]
 */
import { measure } from '../test/waf/corpus-data.js';

const sensitivity = process.argv[2] === 'HIGH' ? 'HIGH' : 'LOW';
const missesOf = process.argv.indexOf('--misses');
const { figures, misses } = measure(sensitivity);
console.log(`sensitivity ${sensitivity}\n`);
console.log('| set | source | judged by | lines | flagged | rate |');
console.log('|---|---|---|---:|---:|---:|');
for (const f of figures) {
  const what = f.set === 'benign' ? 'false positives' : 'detected';
  console.log(`| ${f.set} | ${f.source} | ${f.group} | ${f.total} | ${f.flagged} ${what} | ${f.rate.toFixed(2)}% |`);
}
if (missesOf !== -1) {
  const set = process.argv[missesOf + 1] as 'sqli' | 'xss' | 'benign';
  console.log(`\n${set === 'benign' ? 'false positives' : 'misses'} in ${set}:`);
  for (const l of misses[set]) console.log(`${l.line}\t${l.source}\t${JSON.stringify(l.text)}`);
}
