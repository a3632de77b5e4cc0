import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSpanId, newTraceId, parseTraceparent } from './trace-context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';

test('parseTraceparent: W3C examples and invalid forms', () => {
  const cases: [string, string | undefined, boolean][] = [
    ['version 00, sampled', `00-${T}-${P}-01`, true],
    ['version 00, not sampled', `00-${T}-${P}-00`, true],
    ['surrounding spaces', ` 00-${T}-${P}-01 `, true],
    ['future version with extra fields', `01-${T}-${P}-01-what-the-future-holds`, true],
    ['future version, exact length', `cc-${T}-${P}-09`, true],
    ['version ff is invalid', `ff-${T}-${P}-01`, false],
    ['version 00 with extra fields', `00-${T}-${P}-01-extra`, false],
    ['upper-case hex', `00-${T.toUpperCase()}-${P}-01`, false],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${P}-01`, false],
    ['all-zero parent id', `00-${T}-${'0'.repeat(16)}-01`, false],
    ['short trace id', `00-${T.slice(1)}-${P}-01`, false],
    ['bad separator', `00_${T}-${P}-01`, false],
    ['non-hex flags', `00-${T}-${P}-0x`, false],
    ['empty', '', false],
    ['absent', undefined, false],
  ];
  for (const [desc, input, ok] of cases) {
    const r = parseTraceparent(input);
    assert.equal(r !== undefined, ok, desc);
    if (ok) assert.deepEqual({ traceId: r?.traceId, parentId: r?.parentId }, { traceId: T, parentId: P }, desc);
  }
});

test('new ids are lower-case hex of the right length, never zero, and do not repeat', () => {
  const spans = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const s = newSpanId();
    assert.match(s, /^[0-9a-f]{16}$/);
    spans.add(s);
  }
  assert.equal(spans.size, 2000);
  assert.match(newTraceId(), /^[0-9a-f]{32}$/);
});
