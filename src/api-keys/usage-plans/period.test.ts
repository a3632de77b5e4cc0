import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quotaPeriod, utcDay } from './period.js';

const iso = (p: { start: number; end: number }) => [new Date(p.start).toISOString(), new Date(p.end).toISOString()];

test('quota periods: DAY, WEEK (offset = weekday, 0 Sunday), MONTH (offset = day - 1), all UTC', () => {
  const t = Date.UTC(2026, 0, 15, 13, 45); // Thursday 15 January 2026
  const cases: [string, { period: 'DAY' | 'WEEK' | 'MONTH'; offset: number }, string[]][] = [
    ['day', { period: 'DAY', offset: 0 }, ['2026-01-15T00:00:00.000Z', '2026-01-16T00:00:00.000Z']],
    ['week from Sunday', { period: 'WEEK', offset: 0 }, ['2026-01-11T00:00:00.000Z', '2026-01-18T00:00:00.000Z']],
    ['week from Monday', { period: 'WEEK', offset: 1 }, ['2026-01-12T00:00:00.000Z', '2026-01-19T00:00:00.000Z']],
    [
      'week from Thursday (today)',
      { period: 'WEEK', offset: 4 },
      ['2026-01-15T00:00:00.000Z', '2026-01-22T00:00:00.000Z'],
    ],
    ['week from Friday', { period: 'WEEK', offset: 5 }, ['2026-01-09T00:00:00.000Z', '2026-01-16T00:00:00.000Z']],
    ['month from the 1st', { period: 'MONTH', offset: 0 }, ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']],
    ['month from the 20th', { period: 'MONTH', offset: 19 }, ['2025-12-20T00:00:00.000Z', '2026-01-20T00:00:00.000Z']],
    [
      'month from the 15th (today)',
      { period: 'MONTH', offset: 14 },
      ['2026-01-15T00:00:00.000Z', '2026-02-15T00:00:00.000Z'],
    ],
  ];
  for (const [name, q, want] of cases) assert.deepEqual(iso(quotaPeriod(t, q)), want, name);
  assert.deepEqual(iso(quotaPeriod(Date.UTC(2026, 11, 31, 23, 59, 59, 999), { period: 'MONTH', offset: 0 })), [
    '2026-12-01T00:00:00.000Z',
    '2027-01-01T00:00:00.000Z',
  ]);
  assert.equal(utcDay(t), '2026-01-15');
});
