// Open-loop, constant-rate load: request i is sent at start + i / rate whether or not earlier ones have been
// answered (what wrk2 does; wrk2 is not in Debian, and autocannon's overallRate keeps whole milliseconds).
// Latency is measured per request, in µs, from the moment it is handed to the connection pool until its whole
// response has been read, so a stall of the server shows up as queueing in the pool instead of fewer requests.
// Usage: node bench/fixed-rate.mjs --url URL --rate R --duration S [--connections C] [--method GET|POST]
//        [--body-bytes N] [--warmup S]     request headers come as a JSON object in $FIXED_RATE_HEADERS (kept out of argv)
// Before the schedule: every connection opened, then a linear ramp over --warmup seconds (not counted).
// Prints one JSON line: {rate, sent, requests, seconds, rps, p50Us, p99Us, ok, non2xx, errors, timeouts}.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '64' },
    method: { type: 'string', default: 'GET' },
    'body-bytes': { type: 'string' },
    warmup: { type: 'string', default: '1' },
  },
  strict: true,
});
const rate = Number(values.rate);
const seconds = Number(values.duration);
const connections = Number(values.connections);
const warmupSeconds = Number(values.warmup);
if (!values.url || !(rate > 0) || !(seconds > 0) || !(connections >= 1) || !(warmupSeconds >= 0)) {
  console.error(
    'usage: node bench/fixed-rate.mjs --url URL --rate R --duration S [--connections C] [--method M] [--body-bytes N]',
  );
  process.exit(2);
}
const url = new URL(values.url);
const headers = JSON.parse(process.env.FIXED_RATE_HEADERS || '{}');
const body = values['body-bytes'] === undefined ? undefined : Buffer.alloc(Number(values['body-bytes']), 'x');
if (body) headers['content-type'] ??= 'application/octet-stream';
const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 60e3 });
const path = url.pathname + url.search;

// Nothing before the measured schedule is counted, and none of it may leave a queue behind: a cold generator
// sending at full rate from its first millisecond fell behind by ~0.5 s and its backlog drained into the first
// measured second (p99 in the hundreds of ms for nginx as for Portico). So, first, every connection is opened
// (PRIME_ROUNDS rounds of one request per connection, each round awaited); then the rate ramps linearly from 0
// to --rate over --warmup seconds (rate × warmup / 2 requests, default 1 s); then the measured schedule runs.
const PRIME_ROUNDS = 2;
const warm = Math.round((rate * warmupSeconds) / 2);
const total = warm + Math.max(1, Math.round(rate * seconds));
const intervalMs = 1000 / rate;
const rampMs = warmupSeconds * 1000;
/** When request i is due, in ms from the start: on the ramp (rate·t²/2W requests by t), then every 1/rate. */
function dueAt(i) {
  if (i < warm) return Math.sqrt((2 * rampMs * i * 1000) / rate);
  return rampMs + (i - warm) * intervalMs;
}
const latencies = new Float64Array(total - warm);
let measured = 0;
let ok = 0;
let non2xx = 0;
let errors = 0;
let timeouts = 0;
let sent = 0;
let finished = 0;
let start = 0;
let measuredStart = 0;

function fire() {
  const counted = sent++ >= warm;
  if (sent === warm + 1) measuredStart = start + rampMs;
  const t0 = performance.now();
  pool
    .request({ path, method: values.method, headers, body, headersTimeout: 5000, bodyTimeout: 5000 })
    .then(async (res) => {
      await res.body.dump();
      if (!counted) return;
      latencies[measured++] = (performance.now() - t0) * 1000;
      if (res.statusCode >= 200 && res.statusCode < 300) ok++;
      else non2xx++;
    })
    .catch((err) => {
      if (!counted) return;
      errors++;
      if (/timeout/i.test(err?.code ?? '')) timeouts++;
    })
    .finally(() => {
      if (++finished === total) void report();
    });
}

// Timers fire at about 1 ms granularity: each tick sends every request that is due by now.
function tick() {
  const elapsed = performance.now() - start;
  while (sent < total && dueAt(sent) <= elapsed) fire();
  if (sent < total) setTimeout(tick, Math.max(0, start + dueAt(sent) - performance.now()));
}

async function prime() {
  for (let round = 0; round < PRIME_ROUNDS; round++) {
    await Promise.all(
      Array.from({ length: connections }, () =>
        pool
          .request({ path, method: values.method, headers, body, headersTimeout: 5000, bodyTimeout: 5000 })
          .then((res) => res.body.dump()),
      ),
    );
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function report() {
  const elapsed = (performance.now() - measuredStart) / 1000;
  const sorted = latencies.subarray(0, measured).sort();
  const requests = ok + non2xx;
  const result = {
    rate,
    sent: sent - warm,
    requests,
    seconds: elapsed,
    rps: requests / elapsed,
    p50Us: Math.round(percentile(sorted, 50)),
    p99Us: Math.round(percentile(sorted, 99)),
    ok,
    non2xx,
    errors,
    timeouts,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await pool.close();
}

await prime();
start = performance.now();
tick();
