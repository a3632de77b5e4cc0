import type { QuotaConfig } from './schema.js';

const DAY_MS = 86_400_000;

let dayStart = Number.NaN;
let dayText = '';

/** The UTC day of a time, YYYY-MM-DD (formatted once per day: usage is counted on every keyed request). */
export function utcDay(ms: number): string {
  if (!(ms >= dayStart && ms < dayStart + DAY_MS)) {
    dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
    dayText = new Date(dayStart).toISOString().slice(0, 10);
  }
  return dayText;
}

/**
 * The quota period containing `now`: [start, end) in epoch ms. Periods start at UTC midnight;
 * WEEK on weekday `offset` (0 = Sunday), MONTH on day `offset + 1` of the month.
 */
export function quotaPeriod(
  now: number,
  quota: Pick<QuotaConfig, 'period' | 'offset'>,
): { start: number; end: number } {
  const midnight = Math.floor(now / DAY_MS) * DAY_MS;
  if (quota.period === 'DAY') return { start: midnight, end: midnight + DAY_MS };
  if (quota.period === 'WEEK') {
    const back = (new Date(midnight).getUTCDay() - quota.offset + 7) % 7;
    const start = midnight - back * DAY_MS;
    return { start, end: start + 7 * DAY_MS };
  }
  const d = new Date(midnight);
  const startDay = quota.offset + 1;
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  if (d.getUTCDate() < startDay) m -= 1;
  if (m < 0) {
    m = 11;
    y -= 1;
  }
  return { start: Date.UTC(y, m, startDay), end: Date.UTC(y, m + 1, startDay) };
}
