import type { Gateway } from '../../src/index.js';

/** GET <admin>/metrics with the admin token (or none), as text. */
export async function scrape(
  gw: Gateway,
  token: string | null = gw.adminToken,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gw.adminUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text() };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (enough of it for prom-client's output). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** Samples of one metric, optionally only those whose labels include `where`. */
export function series(samples: Sample[], name: string, where: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample of `name` with exactly these labels; throws if absent. */
export function value(samples: Sample[], name: string, labels: Record<string, string>): number {
  const want = JSON.stringify(Object.entries(labels).sort());
  const s = samples.find((x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === want);
  if (!s)
    throw new Error(
      `no sample ${name}${JSON.stringify(labels)}; have:\n${series(samples, name)
        .map((x) => JSON.stringify(x.labels))
        .join('\n')}`,
    );
  return s.value;
}

/** Waits until `check` is true, polling at most `tries` times (for hooks that run after the response). */
export async function until(check: () => boolean | Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met');
}
