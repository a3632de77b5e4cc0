import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { mutants, NAMED_PAYLOADS, type Payload } from './corpus.js';
import { corpusYaml, type RecordingUpstream, type Seen, startRecordingUpstream } from './harness.js';
import { FULL, recordFigure } from './results.js';
import { brokenPromises, describe as describeOutcome, type Outcome, runCorpus } from './verdict.js';

const MUTANTS = FULL ? 2000 : 100;

describe('request smuggling and framing corpus (raw sockets, strict recording upstream)', () => {
  let up: RecordingUpstream;
  let direct: RecordingUpstream;
  let gw: TestGateway;
  before(async () => {
    up = await startRecordingUpstream();
    direct = await startRecordingUpstream(true);
    gw = await startTestGateway(corpusYaml(up.origin));
  });
  after(async () => {
    await gw.close();
    await up.close();
    await direct.close();
  });

  async function check(payloads: Payload[], limitMs: number): Promise<Outcome[]> {
    const outcomes = await runCorpus(payloads, gw.port, up, limitMs);
    // The same bytes straight into a bare strict Node server: what the gateway's parser reads.
    const reference = await runCorpus(payloads, direct.port, direct, limitMs);
    const failures: string[] = [];
    outcomes.forEach((o, i) => {
      const ref = reference[i] as Outcome;
      const broken = brokenPromises(o, ref);
      // A forwarded body is exactly what the strict parser read for that request.
      // Pipelined requests are proxied concurrently, so compare as sets; absolute-form becomes origin-form.
      const key = (s: Seen) =>
        `${s.method} ${s.url.replace(/^https?:\/\/[^/]*/i, '') || '/'} ${s.body.toString('latin1')}`;
      const want = ref.forwarded.map(key);
      for (const s of o.forwarded) {
        const at = want.indexOf(key(s));
        if (at === -1)
          broken.push(`forwarded ${s.method} ${s.url} (body ${s.body.length}) that a bare strict parser did not read`);
        else want.splice(at, 1);
      }
      if (broken.length) failures.push(`${o.payload.name}: ${broken.join('; ')} [${describeOutcome(o)}]`);
    });
    assert.deepEqual(up.clientErrors, [], 'the gateway sent the upstream something its strict parser rejected');
    assert.deepEqual(failures, []);
    return outcomes;
  }

  test(`${NAMED_PAYLOADS.length} named payloads and ${MUTANTS} fast-check mutants: each rejected with 4xx and closed, or forwarded as exactly one unambiguous request`, async () => {
    const named = await check(NAMED_PAYLOADS, 1500);
    const muts = await check(mutants(MUTANTS, 20261121), 800);
    const all = [...named, ...muts];
    const forwarded = all.filter((o) => o.verdict === 'forward').length;
    const rejected = all.filter((o) => o.verdict === 'reject').length;
    recordFigure({
      id: 'smuggling-corpus',
      figure: 'Smuggling/framing payloads tried / forwarded ambiguously',
      value: `${all.length} / 0`,
      target: '≥ 150 / 0',
      test: 'test/reliability/smuggling.corpus.test.ts › named payloads and fast-check mutants',
      details: {
        named: named.length,
        mutants: muts.length,
        forwarded,
        rejected,
        other: all.length - forwarded - rejected,
      },
    });
    assert.ok(all.length >= 150);
  });
});
