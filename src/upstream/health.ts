import type { Pool } from 'undici';

/** Parses an ALB matcher ("200", "200-299", "200,202") into a predicate. The schema checked the syntax. */
export function statusMatcher(spec: string): (status: number) => boolean {
  const ranges = spec.split(',').map((part) => {
    const [lo, hi] = part.split('-').map(Number) as [number, number | undefined];
    return [lo, hi ?? lo] as const;
  });
  return (s) => ranges.some(([lo, hi]) => s >= lo && s <= hi);
}

export interface ProbeResult {
  ok: boolean;
  status?: number;
  error?: string;
}

/** One health probe: method + path on the target, a full answer within timeoutMs whose status matches. */
export async function probe(
  pool: Pool,
  opts: {
    path: string;
    method: 'GET' | 'HEAD';
    timeoutMs: number;
    host?: string | undefined;
    matches: (s: number) => boolean;
  },
): Promise<ProbeResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await pool.request({
      path: opts.path,
      method: opts.method,
      headers: { 'user-agent': 'portico-health-check', ...(opts.host ? { host: opts.host } : {}) },
      signal,
    });
    await res.body.dump({ signal, limit: 1024 * 1024 });
    return opts.matches(res.statusCode)
      ? { ok: true, status: res.statusCode }
      : { ok: false, status: res.statusCode, error: `status ${res.statusCode}` };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, error: signal.aborted ? `no answer within ${opts.timeoutMs} ms` : (e.code ?? e.message) };
  }
}
