import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.js';
import { requireBinary } from '../helpers/require-binary.js';
import { NAMED_PAYLOADS } from './corpus.js';
import { corpusYaml, startRecordingUpstream } from './harness.js';
import { type Oracle, startHaproxy, startNginx } from './oracles.js';
import { JUSTIFICATIONS } from './differential-justifications.js';
import { FAST_RESULTS_DIR, FULL, recordFigure, RESULTS_DIR } from './results.js';
import { describe, type Outcome, runCorpus } from './verdict.js';

/**
 * The named corpus through Portico, nginx and HAProxy, each in front of its own strict recording
 * upstream. The verdict compared is forward (something reached the upstream) or not; the statuses are
 * shown alongside. Every payload where Portico's verdict differs from an oracle's must have a
 * justification in differential-justifications.ts; the table lands in docs/security.md.
 */
/**
 * The verdict compared: did anything reach the upstream? (Whether a refusal is a 400, a 501, a 408
 * after the front's own timeout or a silent close depends on each proxy's timers, not on framing.)
 */
const fwd = (o: Outcome) => o.verdict === 'forward';

async function through(front: 'portico' | 'nginx' | 'haproxy', bin?: string): Promise<Outcome[]> {
  const up = await startRecordingUpstream();
  let oracle: Oracle | undefined;
  let gwClose: (() => Promise<void>) | undefined;
  try {
    let port: number;
    if (front === 'portico') {
      const gw = await startTestGateway(corpusYaml(up.origin));
      gwClose = () => gw.close();
      port = gw.port;
    } else {
      oracle =
        front === 'nginx' ? await startNginx(bin as string, up.port) : await startHaproxy(bin as string, up.port);
      port = oracle.port;
    }
    return await runCorpus(NAMED_PAYLOADS, port, up, 1500);
  } finally {
    await gwClose?.();
    await oracle?.stop();
    await up.close();
  }
}

test('differential: the named corpus through Portico, nginx and HAProxy; every verdict difference is justified', async (t) => {
  const nginx = requireBinary(t, 'nginx', 'apt-get install nginx-light');
  const haproxy = requireBinary(t, 'haproxy', 'apt-get install haproxy');
  if (!nginx || !haproxy) return;
  const portico = await through('portico');
  const ng = await through('nginx', nginx);
  const ha = await through('haproxy', haproxy);
  const rows = NAMED_PAYLOADS.map((p, i) => {
    const o = portico[i] as Outcome;
    const n = ng[i] as Outcome;
    const h = ha[i] as Outcome;
    const differs = fwd(o) !== fwd(n) || fwd(o) !== fwd(h);
    return {
      name: p.name,
      family: p.family,
      portico: describe(o),
      nginx: describe(n),
      haproxy: describe(h),
      differs,
      why: JUSTIFICATIONS[p.name] ?? '',
    };
  });
  const unjustified = rows
    .filter((r) => r.differs && !r.why)
    .map((r) => `${r.name}: portico ${r.portico} | nginx ${r.nginx} | haproxy ${r.haproxy}`);
  const stale = Object.keys(JUSTIFICATIONS).filter((name) => !rows.some((r) => r.name === name && r.differs));
  const dir = FULL ? RESULTS_DIR : FAST_RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'differential-table.json'),
    `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), rows }, null, 2)}\n`,
  );
  const agreeNginx = rows.filter((_, i) => fwd(portico[i] as Outcome) === fwd(ng[i] as Outcome)).length;
  const agreeHa = rows.filter((_, i) => fwd(portico[i] as Outcome) === fwd(ha[i] as Outcome)).length;
  const pct = (n: number) => `${((100 * n) / rows.length).toFixed(1)} %`;
  recordFigure({
    id: 'smuggling-differential',
    figure: 'Agreement with nginx / HAProxy verdicts (every difference justified in docs/security.md)',
    value: `${pct(agreeNginx)} / ${pct(agreeHa)} (${rows.filter((r) => r.differs).length} differences, ${unjustified.length} unjustified)`,
    target: 'every difference justified',
    test: 'test/reliability/smuggling.differential.test.ts › differential',
    details: { payloads: rows.length, agreeNginx, agreeHaproxy: agreeHa },
  });
  assert.deepEqual(unjustified, [], 'verdict differences without a justification in differential-justifications.ts');
  assert.deepEqual(stale, [], 'justifications for payloads that no longer differ');
  // Portico itself never forwards a smuggled request (the corpus test checks every promise).
  assert.ok(!portico.some((o) => o.forwarded.some((s) => /smuggled|evil/.test(s.url))));
});
