// The load generators: wrk (when installed: C, microsecond latency, its own process pinned beside the backend),
// autocannon (otherwise: a worker thread of the bench process), and bench/fixed-rate.mjs (open-loop constant
// rate, for latency at a given load). All of them return the same LoadResult.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { runToEnd } from './proc.js';

export type LoadGenerator = 'wrk' | 'autocannon';

/** One kind of request a scenario sends, again and again. */
export interface RequestSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** POST body size in bytes (the body is that many "x"). */
  bodyBytes?: number;
}

export interface LoadResult {
  /** Completed requests, whatever their status. */
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles in µs (autocannon's are whole milliseconds, so multiples of 1000). */
  p50Us: number;
  p99Us: number;
  ok: number;
  non2xx: number;
  /** Socket errors (connect, read, write) and timeouts. */
  errors: number;
  timeouts: number;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  /** CPU for a load generator that is its own process (wrk, fixed-rate); undefined = unpinned. */
  cpu: number | undefined;
  /** Where wrk's Lua script is written. */
  scratchDir: string;
}

const FIXED_RATE = fileURLToPath(new URL('../fixed-rate.mjs', import.meta.url));
const HICCUP = fileURLToPath(new URL('../hiccup.mjs', import.meta.url));

export async function runLoad(gen: LoadGenerator, req: RequestSpec, opts: LoadOptions): Promise<LoadResult> {
  return gen === 'wrk' ? runWrk(req, opts) : runAutocannon(req, opts);
}

/**
 * The Lua script that makes wrk send `req` and print its results as one JSON line (latency in µs, straight
 * from wrk's histogram, instead of parsing its human output).
 */
export function wrkScript(req: RequestSpec): string {
  const lines = [`wrk.method = ${JSON.stringify(req.method)}`];
  for (const [k, v] of Object.entries(req.headers))
    lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  if (req.bodyBytes !== undefined) lines.push(`wrk.body = string.rep("x", ${req.bodyBytes})`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRKJSON {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d}\\n\',',
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(99)))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p99: number;
}

/** Reads the WRKJSON line of wrk's output (see wrkScript). `status` counts responses ≥ 400, wrk's "Non-2xx or 3xx". */
export function parseWrkOutput(out: string): LoadResult {
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (!line) throw new Error(`wrk printed no result line: ${out.trim().slice(0, 300)}`);
  const j = JSON.parse(line.slice('WRKJSON '.length)) as WrkJson;
  const seconds = j.durationUs / 1e6;
  return {
    requests: j.requests,
    seconds,
    rps: seconds > 0 ? j.requests / seconds : 0,
    p50Us: j.p50,
    p99Us: j.p99,
    ok: j.requests - j.status,
    non2xx: j.status,
    errors: j.connect + j.read + j.write + j.timeout,
    timeouts: j.timeout,
  };
}

let scriptCount = 0;
async function runWrk(req: RequestSpec, opts: LoadOptions): Promise<LoadResult> {
  const script = join(opts.scratchDir, `wrk-${++scriptCount}.lua`);
  await writeFile(script, wrkScript(req), { mode: 0o600 });
  const seconds = Math.max(1, Math.round(opts.seconds));
  const argv = ['wrk', '-t1', `-c${opts.connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, req.url];
  return parseWrkOutput(await runToEnd(argv, opts.cpu, (seconds + 30) * 1000));
}

async function runAutocannon(req: RequestSpec, opts: LoadOptions): Promise<LoadResult> {
  // One worker thread: the load generator gets its own event loop, off this process's main thread.
  const r = await autocannon({
    url: req.url,
    method: req.method,
    headers: req.bodyBytes === undefined ? req.headers : { ...req.headers, 'content-type': 'application/octet-stream' },
    // A string: a Buffer reaches autocannon's worker thread as a plain Uint8Array, which it refuses.
    ...(req.bodyBytes === undefined ? {} : { body: 'x'.repeat(req.bodyBytes) }),
    connections: opts.connections,
    duration: opts.seconds,
    pipelining: 1,
    timeout: 5,
    workers: 1,
  });
  const requests = r.requests.total;
  return {
    requests,
    seconds: r.duration,
    rps: r.duration > 0 ? requests / r.duration : 0,
    p50Us: r.latency.p50 * 1000,
    p99Us: r.latency.p99 * 1000,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

export interface FixedRateResult extends LoadResult {
  /** The rate asked for, requests per second. */
  rate: number;
  /** Requests sent (rate × seconds). */
  sent: number;
}

/** Constant-rate, open-loop load (bench/fixed-rate.mjs): latency at a load the server can carry, without queueing. */
export async function runFixedRate(req: RequestSpec, rate: number, opts: LoadOptions): Promise<FixedRateResult> {
  const argv = [
    process.execPath,
    FIXED_RATE,
    '--url',
    req.url,
    '--rate',
    String(rate),
    '--duration',
    String(opts.seconds),
  ];
  // An unrecorded lead-in at the same rate (the generator's own JIT and connections), a quarter of the run, ≤ 1 s.
  argv.push(
    '--connections',
    String(opts.connections),
    '--method',
    req.method,
    '--warmup',
    String(Math.min(1, opts.seconds / 4)),
  );
  if (req.bodyBytes !== undefined) argv.push('--body-bytes', String(req.bodyBytes));
  // Headers (an API key, a token) go through the environment, not argv, which any user can read in ps.
  const env = { ...process.env, FIXED_RATE_HEADERS: JSON.stringify(req.headers) };
  const out = await runToEnd(argv, opts.cpu, (opts.seconds + 30) * 1000, env);
  return JSON.parse(out) as FixedRateResult;
}

/** The stalls the machine itself causes on one CPU (bench/hiccup.mjs spinning there alone for `seconds`). */
export async function runHiccup(
  cpu: number | undefined,
  seconds: number,
): Promise<{ seconds: number; maxMs: number; over1ms: number; stalledMs: number }> {
  const out = await runToEnd([process.execPath, HICCUP, '--seconds', String(seconds)], cpu, (seconds + 30) * 1000);
  return JSON.parse(out) as { seconds: number; maxMs: number; over1ms: number; stalledMs: number };
}
