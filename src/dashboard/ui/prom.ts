// Prometheus text exposition → the dashboard's live figures. No DOM here: test/dashboard/prom.test.ts
// runs it in Node.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample of a scrape; comments and malformed lines are skipped. */
export function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** What the charts need from one scrape: request totals by status class and the latency histogram. */
export interface Totals {
  /** ms since epoch of the scrape. */
  at: number;
  requests: number;
  errors4xx: number;
  errors5xx: number;
  latencyCount: number;
  latencySum: number;
  /** Cumulative bucket counts by upper bound (seconds), summed over every route. */
  buckets: Map<number, number>;
}

export function totalsOf(samples: Sample[], at: number): Totals {
  const t: Totals = { at, requests: 0, errors4xx: 0, errors5xx: 0, latencyCount: 0, latencySum: 0, buckets: new Map() };
  for (const s of samples) {
    if (s.name === 'portico_requests_total') {
      t.requests += s.value;
      if (s.labels.status_class === '4xx') t.errors4xx += s.value;
      if (s.labels.status_class === '5xx') t.errors5xx += s.value;
    } else if (s.name === 'portico_request_duration_seconds_count') t.latencyCount += s.value;
    else if (s.name === 'portico_request_duration_seconds_sum') t.latencySum += s.value;
    else if (s.name === 'portico_request_duration_seconds_bucket') {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      t.buckets.set(le, (t.buckets.get(le) ?? 0) + s.value);
    }
  }
  return t;
}

/** One chart point between two scrapes. Rates are per second; latencies in milliseconds (null: no requests). */
export interface Point {
  at: number;
  rate: number;
  /** Share of responses that were 5xx, in percent (null with no requests). */
  errorPct: number | null;
  /** 4xx share, in percent. */
  clientErrorPct: number | null;
  meanMs: number | null;
  p95Ms: number | null;
}

/**
 * The quantile q of the requests between two scrapes, from the cumulative bucket deltas, linear
 * inside the bucket (as Prometheus' histogram_quantile). A quantile in the +Inf bucket is the
 * highest finite bound.
 */
export function quantile(q: number, prev: Map<number, number>, cur: Map<number, number>): number | null {
  const bounds = [...cur.keys()].sort((a, b) => a - b);
  const delta = bounds.map((b) => Math.max(0, (cur.get(b) ?? 0) - (prev.get(b) ?? 0)));
  const total = delta[delta.length - 1] ?? 0;
  if (!total) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if ((delta[i] ?? 0) >= rank) {
      const upper = bounds[i]!;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      if (upper === Infinity) return lower;
      const below = i === 0 ? 0 : (delta[i - 1] ?? 0);
      const inBucket = (delta[i] ?? 0) - below;
      return inBucket ? lower + (upper - lower) * ((rank - below) / inBucket) : upper;
    }
  }
  return bounds.filter((b) => b !== Infinity).pop() ?? null;
}

/** The point between two scrapes; counters that went down (a restart) count from zero. */
export function pointBetween(prev: Totals, cur: Totals): Point {
  const reset = cur.requests < prev.requests;
  const base: Totals = reset
    ? { ...prev, requests: 0, errors4xx: 0, errors5xx: 0, latencyCount: 0, latencySum: 0, buckets: new Map() }
    : prev;
  const dt = Math.max(0.001, (cur.at - prev.at) / 1000);
  const n = cur.requests - base.requests;
  const timed = cur.latencyCount - base.latencyCount;
  const p95 = quantile(0.95, base.buckets, cur.buckets);
  return {
    at: cur.at,
    rate: n / dt,
    errorPct: n > 0 ? (100 * (cur.errors5xx - base.errors5xx)) / n : null,
    clientErrorPct: n > 0 ? (100 * (cur.errors4xx - base.errors4xx)) / n : null,
    meanMs: timed > 0 ? (1000 * (cur.latencySum - base.latencySum)) / timed : null,
    p95Ms: p95 === null ? null : p95 * 1000,
  };
}
