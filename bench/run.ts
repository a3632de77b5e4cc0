// The performance benchmark (issue #9): the greeting backend directly, through Portico in the issue's
// configurations, and through peers (nginx, HAProxy, fast-gateway, a minimal node:http + undici proxy).
// See bench/README.md. Every run is bounded: each load stops after --duration and a watchdog ends the process.
// Every server is a child process, so each one's CPU and memory can be read from /proc; the load comes from wrk
// when it is installed (pinned beside the backend), else from autocannon in a worker thread of this process.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareTwins, formatComparisons, prepareCheckout, repOrder, resolveRef, withTwins } from './lib/compare.js';
import { type LoadGenerator, type LoadResult, type RequestSpec, runFixedRate, runHiccup, runLoad } from './lib/load.js';
import {
  choosePlacement,
  killChildren,
  machineCpuUs,
  pinSelf,
  selfAndReapedCpuUs,
  trackTempDir,
  treeCpuUs,
  treeRssBytes,
  which,
  withTimeout,
} from './lib/proc.js';
import {
  costs,
  evaluateGoals,
  formatCosts,
  formatGoals,
  formatLatency,
  formatRows,
  type Hiccups,
  type LatencyAtLoad,
  type LatencyPoint,
  median,
  noiseWarning,
  type Run,
  summarize,
} from './lib/report.js';
import { POST_BODY_BYTES, type ScenarioDef, selectScenarios, targetKey, type TargetKind } from './lib/scenarios.js';
import { Agent, fetch } from 'undici';
import { makeBenchCert } from './lib/cert.js';
import { evaluateGoals18, GOALS18_NOT_COMPUTED } from './lib/goals18.js';
import { type Jwks, startJwks } from './lib/jwks.js';
import { DIST_CLI_PATH, PEER_HINT, peerBinary, porticoEntry, type Target, Targets } from './lib/targets.js';

const USAGE = `usage: npm run bench -- [--smoke] [--duration S] [--connections N] [--repeat N] [--warmup S]
       [--only a,b,...] [--loadgen wrk|autocannon] [--no-pin] [--no-latency] [--compare GIT-REF]`;

const args = parseCli();
const smoke = args.smoke === true;
const duration = positive('duration', args.duration, smoke ? 1 : 10);
const connections = Math.round(positive('connections', args.connections, smoke ? 8 : 64));
/** 1 MB bodies: fewer connections, or the loopback copy of 64 MB in flight is all that is measured. */
const postConnections = Math.min(connections, 16);
const repeat = Math.round(positive('repeat', args.repeat, smoke ? 1 : 3));
const warmup = positive('warmup', args.warmup, smoke ? 0 : 2, true);
/** The constant-rate pass needs a warm gateway and a measured maximum: the smoke pass has neither. */
const latencyPass = !args['no-latency'] && !smoke;
const loadgen = chooseLoadgen(args.loadgen);
const { selected, skipped, error } = selectScenarios(args.only, smoke, (peer) => peerBinary(peer) !== undefined);
if (error) fail(error);
if (args.compare !== undefined) {
  if (!selected.some((s) => s.target.startsWith('portico-'))) fail('--compare: no Portico scenario is selected');
  try {
    resolveRef(fileURLToPath(new URL('..', import.meta.url)), args.compare);
  } catch (err) {
    fail((err as Error).message);
  }
}
for (const s of skipped)
  console.error(`bench: ${s.name} skipped: ${s.needs} is not installed (${PEER_HINT[s.needs!]})`);

function parseCli() {
  try {
    const { values } = parseArgs({
      options: {
        smoke: { type: 'boolean', default: false },
        duration: { type: 'string' },
        connections: { type: 'string' },
        repeat: { type: 'string' },
        warmup: { type: 'string' },
        only: { type: 'string' },
        loadgen: { type: 'string' },
        'no-pin': { type: 'boolean', default: false },
        'no-latency': { type: 'boolean', default: false },
        compare: { type: 'string' },
      },
      strict: true,
    });
    return values;
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`);
  }
}

function positive(name: string, raw: string | undefined, fallback: number, zeroOk = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) {
    fail(`--${name} must be a ${zeroOk ? 'non-negative' : 'positive'} number, got "${raw}"`);
  }
  return n;
}

/** wrk when installed (C, µs latency), else autocannon; --loadgen forces one. */
function chooseLoadgen(raw: string | undefined): LoadGenerator {
  if (raw !== undefined && raw !== 'wrk' && raw !== 'autocannon')
    fail(`--loadgen must be wrk or autocannon, got "${raw}"`);
  const hasWrk = which('wrk') !== undefined;
  if (raw === 'wrk' && !hasWrk)
    fail('--loadgen wrk: wrk is not installed (bash bench/setup.sh, or apt-get install wrk)');
  if (raw === undefined && !hasWrk)
    console.error('bench: wrk is not installed, so the load comes from autocannon (bash bench/setup.sh installs wrk)');
  return (raw as LoadGenerator | undefined) ?? (hasWrk ? 'wrk' : 'autocannon');
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = new URL('./results/', import.meta.url);
const placement = choosePlacement(!args['no-pin']);
// The load generator shares CPU 1 with the backend: wrk through taskset, autocannon because this whole process
// (and the worker thread it starts later) moves there.
if (placement.pinned) pinSelf(placement.loadCpu);

/** A warning, not an error: a stale dist/ benches yesterday's gateway. */
function warnIfDistStale(): void {
  if (porticoEntry !== 'dist') return;
  const built = statSync(DIST_CLI_PATH).mtimeMs;
  const srcDir = join(ROOT, 'src');
  const newer = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(srcDir, f)).mtimeMs > built,
  );
  if (newer.length)
    console.error(`bench: dist/ is older than ${newer.length} file(s) in src/ (${newer[0]}, …); run \`npm run build\``);
}

process.on('exit', killChildren);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping`);
    process.exit(code);
  });
}

// --compare: the other commit, extracted and built (once) before anything starts; its scenarios are twins of ours.
const checkout =
  args.compare === undefined
    ? undefined
    : await prepareCheckout(ROOT, args.compare, (line) => console.error(line)).catch((err: unknown) => {
        console.error(`bench: --compare ${args.compare}: ${err instanceof Error ? err.message : String(err)}`);
        return process.exit(1);
      });
const scenarios = withTwins(selected, checkout);

const GREETING = '/api/greeting';
const UPLOAD = '/api/upload';

function requestFor(def: ScenarioDef, target: Target): RequestSpec {
  const base = def.tls ? target.tlsBase : target.base;
  if (base === undefined) throw new Error(`${def.name}: ${target.name} has no TLS listener`);
  const headers = def.newConnection ? { ...target.headers, connection: 'close' } : target.headers;
  return def.request === 'get'
    ? { url: `${base}${GREETING}`, method: 'GET', headers }
    : { url: `${base}${UPLOAD}`, method: 'POST', headers, bodyBytes: POST_BODY_BYTES };
}

/** The preflight's client for the HTTPS rows: it checks the run's certificate (its CA, host name localhost). */
let tlsDispatcher: Agent | undefined;

/**
 * One request per scenario before any load, so a broken route fails loudly instead of as a column of non-2xx; and
 * for the policy scenarios, one without the credential, to show the policy is really on the path.
 */
async function preflight(def: ScenarioDef, target: Target, req: RequestSpec): Promise<void> {
  const send = async (headers: Record<string, string>) => {
    const res = await withTimeout(
      fetch(req.url, {
        method: req.method,
        headers,
        ...(req.url.startsWith('https:') ? { dispatcher: tlsDispatcher } : {}),
        ...(req.bodyBytes ? { body: Buffer.alloc(req.bodyBytes, 'x') } : {}),
      }),
      10_000,
      `${def.name}: preflight request timed out`,
    );
    return { status: res.status, body: await res.text(), xcache: res.headers.get('x-cache') };
  };
  const r = await send(req.headers);
  const expected = def.request === 'get' ? '"content":"Hello, World!"' : `"received":${POST_BODY_BYTES}`;
  if (r.status !== 200 || !r.body.includes(expected))
    throw new Error(`${def.name}: ${req.method} ${req.url} answered ${r.status} ${r.body.slice(0, 200)}`);
  if (def.target === 'portico-full' || def.target === 'portico-jwt') {
    const bare = await send({});
    const want = def.target === 'portico-full' ? 403 : 401;
    if (bare.status !== want)
      throw new Error(
        `${def.name}: without ${def.target === 'portico-full' ? 'the API key' : 'the token'} it answered ${bare.status}, not ${want}`,
      );
  }
  if (def.target === 'portico-cached') {
    const again = await send(req.headers);
    if (!/hit/i.test(again.xcache ?? ''))
      throw new Error(`${def.name}: the second request was not a cache hit (x-cache: ${again.xcache})`);
  }
}

function loadOptions(def: ScenarioDef, seconds: number, scratchDir: string) {
  return {
    connections: def.request === 'post' ? postConnections : connections,
    seconds,
    cpu: placement.pinned ? placement.loadCpu : undefined,
    scratchDir,
  };
}

/** One measured rep: the load, and the CPU time and memory the proxy (and the backend) spent on it. */
async function measure(
  def: ScenarioDef,
  target: Target,
  backendPids: readonly number[],
  rep: number,
  scratchDir: string,
): Promise<Run> {
  const proxy0 = treeCpuUs(target.pid);
  const backendCpu = () => sumOrNull(backendPids.map(treeCpuUs));
  const backend0 = backendCpu();
  const self0 = selfAndReapedCpuUs();
  const machine0 = machineCpuUs();
  let rssMid: number | null = null;
  const sampler = setTimeout(() => (rssMid = treeRssBytes(target.pid)), (duration * 1000) / 2);
  let r: LoadResult;
  try {
    r = await runLoad(loadgen, requestFor(def, target), loadOptions(def, duration, scratchDir));
  } finally {
    clearTimeout(sampler);
  }
  const rssEnd = treeRssBytes(target.pid);
  const proxy1 = treeCpuUs(target.pid);
  const backend1 = backendCpu();
  const self1 = selfAndReapedCpuUs();
  const machine1 = machineCpuUs();
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  const perRequest = (a: number | null, b: number | null) =>
    a === null || b === null || r.requests === 0 ? null : (b - a) / r.requests;
  const rss = [rssMid, rssEnd].filter((x): x is number => x !== null);
  return {
    scenario: def.name,
    rep,
    rps: r.rps,
    p50Us: r.p50Us,
    p99Us: r.p99Us,
    requests: r.requests,
    ok: r.ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    cpuUs: perRequest(proxy0, proxy1),
    backendCpuUs: perRequest(backend0, backend1),
    rssBytes: rss.length ? Math.max(...rss) : null,
    loadgenCpuUs: perRequest(self0, self1),
    ...otherCpu(machine0, machine1, [delta(proxy0, proxy1), delta(backend0, backend1), delta(self0, self1)]),
  };
}

function sumOrNull(xs: Array<number | null>): number | null {
  return xs.some((x) => x === null) ? null : xs.reduce<number>((a, x) => a + x!, 0);
}

/** What share of the machine's CPU during a rep none of the bench's processes used, and the steal. */
function otherCpu(
  m0: ReturnType<typeof machineCpuUs>,
  m1: ReturnType<typeof machineCpuUs>,
  ours: Array<number | null>,
): { otherCpuPct: number | null; stealPct: number | null } {
  if (!m0 || !m1 || m1.total <= m0.total) return { otherCpuPct: null, stealPct: null };
  const total = m1.total - m0.total;
  const own = ours.reduce<number>((a, x) => a + (x ?? 0), 0);
  return {
    otherCpuPct: Math.max(0, (100 * (m1.busy - m0.busy - own)) / total),
    stealPct: (100 * (m1.steal - m0.steal)) / total,
  };
}

/**
 * Latency with headroom: direct, portico, and the minimal proxy and nginx when they were started, at the same
 * constant rate, 50% of portico's measured maximum, open loop (bench/fixed-rate.mjs), interleaved reps; the added
 * p99 is p99(target) − p99(direct) of the medians. Before it, bench/hiccup.mjs measures the stalls the machine
 * itself causes on each CPU, which no proxy can stay under.
 */
async function latencyAtHalfLoad(
  targets: ReadonlyMap<string, Target>,
  porticoRps: number,
  scratchDir: string,
): Promise<LatencyAtLoad> {
  const rate = Math.max(1, Math.round(porticoRps / 2));
  const hiccups: Hiccups[] = [];
  const hiccupSeconds = Math.min(3, duration);
  for (const cpu of placement.pinned ? [placement.proxyCpu, placement.loadCpu] : []) {
    hiccups.push({ cpu, ...(await runHiccup(cpu, hiccupSeconds)) });
  }
  const order = (['direct', 'minimal', 'nginx', 'portico-plain'] as const).filter((k) => targets.has(k));
  const runs = new Map<TargetKind, LoadResult[]>(order.map((k) => [k, []]));
  for (let rep = 1; rep <= repeat; rep++) {
    for (const kind of order) {
      const def = { name: kind, target: kind, request: 'get' } as const;
      const target = targets.get(kind)!;
      const r = await runFixedRate(requestFor(def, target), rate, {
        ...loadOptions(def, duration, scratchDir),
        connections,
      });
      console.error(
        `  latency rep ${rep} ${target.name.padEnd(8)} ${rate} rps: p50 ${(r.p50Us / 1000).toFixed(2)} ms, p99 ${(r.p99Us / 1000).toFixed(2)} ms`,
      );
      runs.get(kind)!.push(r);
    }
  }
  const pick = (kind: TargetKind): LatencyPoint => {
    const rs = runs.get(kind)!;
    return {
      p50Us: median(rs.map((r) => r.p50Us)),
      p99Us: median(rs.map((r) => r.p99Us)),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
    };
  };
  const d = pick('direct');
  const p = pick('portico-plain');
  const peers = Object.fromEntries(order.filter((k) => k === 'minimal' || k === 'nginx').map((k) => [k, pick(k)]));
  return { rate, direct: d, portico: p, peers, addedP99Us: p.p99Us - d.p99Us, hiccups };
}

const loadavgAtStart = loadavg();

async function main(): Promise<number> {
  const startedAt = new Date();
  const cleanups: Array<() => Promise<void>> = [];
  const scratchDir = await mkdtemp(join(tmpdir(), 'portico-bench-run-'));
  const removeScratch = trackTempDir(scratchDir);
  try {
    // One process per target, on this checkout or on the compared one.
    const byKey = new Map(scenarios.map((s) => [targetKey(s), s]));
    const kinds = [...byKey.keys()];
    if (scenarios.some((s) => s.target.startsWith('portico') && !s.checkout)) warnIfDistStale();
    const starter = new Targets(placement, scratchDir);
    // The Node backend reads the 1 MB POST bodies; in front of it, when nginx is installed, the nginx `return 200`
    // backend every proxy is given (it answers GET itself and streams the POST on), so no proxy is held back by it.
    const nodeBackend = await starter.backend();
    cleanups.push(() => nodeBackend.stop());
    const backend = peerBinary('nginx') ? await starter.nginxBackend(nodeBackend.value) : nodeBackend;
    if (backend !== nodeBackend) cleanups.push(() => backend.stop());
    else console.error('bench: nginx is not installed, so the proxies get the Node backend (bench/README.md)');
    const backendPids = backend === nodeBackend ? [backend.pid] : [backend.pid, nodeBackend.pid];
    const cert = scenarios.some((s) => s.tls) ? await makeBenchCert(scratchDir) : undefined;
    if (cert) {
      tlsDispatcher = new Agent({ connect: { ca: cert.ca, servername: 'localhost' } });
      cleanups.push(() => tlsDispatcher!.close());
    }
    let redisUrl: string | undefined;
    if (scenarios.some((s) => s.target === 'portico-throttle-redis')) {
      const redis = await starter.redis();
      cleanups.push(() => redis.stop());
      redisUrl = redis.value;
    }
    let jwks: Jwks | undefined;
    if (scenarios.some((s) => s.target === 'portico-jwt')) {
      jwks = await startJwks();
      cleanups.push(jwks.close);
    }
    const start = (key: string): Promise<Target> => {
      const { target: kind, checkout: from } = byKey.get(key)!;
      if (kind === 'direct')
        return Promise.resolve({
          name: 'direct',
          base: backend.value,
          headers: {},
          pinned: placement.pinned,
          close: async () => {},
        });
      if (kind === 'minimal') return starter.minimal(backend.value);
      if (kind === 'nginx') return starter.nginx(backend.value, cert);
      if (kind === 'caddy') return starter.caddy(backend.value);
      if (kind === 'raw-net') return starter.rawNet(backend.value);
      if (kind === 'haproxy') return starter.haproxy(backend.value);
      if (kind === 'fast-gateway') return starter.fastGateway(backend.value);
      return starter.portico(kind.slice('portico-'.length) as Parameters<Targets['portico']>[0], backend.value, {
        redisUrl,
        jwks,
        checkout: from,
        cert,
      });
    };
    // Started side by side (10,000 routes take a while to load); every one that started is closed, whatever fails.
    const t0 = Date.now();
    const started = await Promise.allSettled(kinds.map(start));
    const targets = new Map<string, Target>();
    for (const [i, s] of started.entries()) {
      if (s.status === 'fulfilled') {
        targets.set(kinds[i]!, s.value);
        cleanups.push(() => s.value.close());
      }
    }
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    console.error(`bench: ${targets.size} targets up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const targetOf = (def: ScenarioDef) => targets.get(targetKey(def))!;
    for (const def of scenarios) await preflight(def, targetOf(def), requestFor(def, targetOf(def)));

    const plan = `${scenarios.length} scenarios × ${repeat} × ${duration} s, ${connections} connections (POST ${postConnections}), ${loadgen}`;
    const where = placement.pinned
      ? `proxy on CPU ${placement.proxyCpu}, backend + load generator on CPU ${placement.loadCpu}`
      : 'unpinned';
    console.error(
      `bench: ${plan}${warmup ? `, ${warmup} s warm-up each` : ''}; ${where}; about ${formatDuration(expectedLoadSeconds())} of load`,
    );
    for (const def of warmup ? scenarios : [])
      await runLoad(loadgen, requestFor(def, targetOf(def)), loadOptions(def, warmup, scratchDir));
    const runs: Run[] = [];
    // Interleaved (A B C A B C …) so slow drift on a shared machine hits every scenario alike; --compare twins
    // swap places every other rep.
    for (let rep = 1; rep <= repeat; rep++) {
      for (const def of repOrder(scenarios, rep)) {
        const run = await measure(def, targetOf(def), backendPids, rep, scratchDir);
        const cpu = run.cpuUs === null ? '' : `, ${run.cpuUs.toFixed(0)} cpu µs/req`;
        const other = run.otherCpuPct == null ? '' : `, other work ${run.otherCpuPct.toFixed(0)}%`;
        console.error(`  rep ${rep} ${run.scenario.padEnd(22)} ${run.rps.toFixed(0).padStart(7)} rps${cpu}${other}`);
        runs.push(run);
      }
    }
    // Marked in the table only when the rest is pinned: the exception, not the rule.
    const unpinned = new Set(placement.pinned ? scenarios.filter((s) => !targetOf(s).pinned).map((s) => s.name) : []);
    const rows = summarize(scenarios, runs, unpinned);
    const porticoRow = rows.find((r) => r.scenario === 'portico');
    const latency =
      latencyPass && targets.has('direct') && targets.has('portico-plain') && porticoRow && porticoRow.rps > 0
        ? await latencyAtHalfLoad(targets, porticoRow.rps, scratchDir)
        : undefined;
    const goals = evaluateGoals(rows, latency, runs);
    const goals18 = evaluateGoals18(rows, latency, runs);
    const costList = costs(rows);
    const comparisons = compareTwins(scenarios, runs);

    const out = ['', formatRows(rows, loadgen === 'autocannon'), ''];
    if (costList.length) out.push(formatCosts(costList), '');
    if (comparisons.length)
      out.push(
        `against ${checkout!.short} (--compare ${checkout!.ref}), reps interleaved:`,
        formatComparisons(comparisons),
        '',
      );
    if (latency) out.push(formatLatency(latency, repeat, duration), '');
    out.push(formatGoals(goals), '');
    out.push(formatGoals(goals18, 'target (issue #18)'), ...GOALS18_NOT_COMPUTED.map((l) => `not computed: ${l}`), '');
    if (smoke) out.push('(smoke pass: 1 s loads on a cold gateway; the figures and targets above mean nothing)', '');
    const noisy = noiseWarning(runs);
    if (noisy) out.push(`warning: ${noisy}`, '');
    console.log(out.join('\n'));
    const compare = checkout && { ref: checkout.ref, sha: checkout.sha, deps: checkout.deps, comparisons };
    const file = await writeResults(startedAt, runs, {
      rows,
      goals,
      goals18,
      costs: costList,
      latency,
      ...(compare ? { compare } : {}),
    });
    console.error(`bench: results written to ${fileURLToPath(file)}`);
    // Gate: every scenario answered 2xx; with --smoke, nothing failed at the socket level either.
    const bad = rows.filter((r) => r.ok === 0 || (smoke && (r.errors > 0 || r.non2xx > 0)));
    for (const r of bad)
      console.error(`bench: ${r.scenario} served ${r.ok} 2xx, ${r.non2xx} other statuses, ${r.errors} errors`);
    const latencyBad =
      smoke &&
      latency &&
      [latency.direct, latency.portico, ...Object.values(latency.peers ?? {})].some((p) => p.errors + p.non2xx > 0);
    if (latencyBad) console.error('bench: the constant-rate latency pass had errors or non-2xx answers');
    return bad.length || latencyBad ? 1 : 0;
  } finally {
    const t1 = Date.now();
    for (const close of cleanups.reverse()) await close().catch((err) => console.error('bench: cleanup:', err));
    removeScratch();
    console.error(
      `bench: done in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s (stopping took ${((Date.now() - t1) / 1000).toFixed(1)} s)`,
    );
  }
}

function peerVersions(): Record<string, string | null> {
  const version = (file: string) => {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      return null;
    }
  };
  return {
    'fast-gateway': version(fileURLToPath(new URL('./.peers/node_modules/fast-gateway/package.json', import.meta.url))),
  };
}

async function writeResults(startedAt: Date, runs: Run[], results: Record<string, unknown>): Promise<URL> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = new URL(`${startedAt.toISOString().replace(/[:.]/g, '-')}.json`, RESULTS_DIR);
  const machine = {
    node: process.version,
    platform: process.platform,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
    loadavgAtStart,
    loadavgAtEnd: loadavg(),
    peers: {
      nginx: peerBinary('nginx') ?? null,
      haproxy: peerBinary('haproxy') ?? null,
      wrk: which('wrk') ?? null,
      caddy: peerBinary('caddy') ?? null,
      ...peerVersions(),
    },
  };
  const options = {
    smoke,
    duration,
    connections,
    postConnections,
    repeat,
    warmup,
    latencyPass,
    scenarios: scenarios.map((s) => s.name),
    skipped: skipped.map((s) => s.name),
    loadGenerator: loadgen,
    porticoEntry,
    pinning: placement.pinned
      ? {
          proxy: placement.proxyCpu,
          backend: placement.loadCpu,
          loadGenerator: placement.loadCpu,
          unpinned: ['portico-workers2'],
        }
      : 'off',
  };
  const report = { startedAt: startedAt.toISOString(), machine, options, ...results, runs };
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

function formatDuration(seconds: number): string {
  return seconds < 120 ? `${Math.ceil(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** How many targets the latency pass loads: direct and portico, plus minimal and nginx when they are in the run. */
const latencyTargets = 2 + scenarios.filter((s) => s.name === 'minimal' || s.name === 'nginx').length;

/** Seconds of load the plan adds up to (warm-ups, reps, the latency pass), without start-up and stop. */
function expectedLoadSeconds(): number {
  const latency =
    latencyPass && scenarios.some((s) => s.name === 'direct') && scenarios.some((s) => s.name === 'portico');
  const pass = latencyTargets * repeat * (duration + Math.min(1, duration / 4)) + 2 * Math.min(3, duration);
  return scenarios.length * (warmup + repeat * duration) + (latency ? pass : 0);
}

// Setup, warm-up and every run are bounded; this catches anything that hangs anyway (a stuck close, a lost child).
const perLoad = (seconds: number) => seconds + 4;
const budgetS =
  120 +
  scenarios.length * ((warmup ? perLoad(warmup) : 0) + repeat * perLoad(duration)) +
  (latencyPass ? latencyTargets * repeat * perLoad(duration + 1) + 2 * perLoad(3) : 0);
setTimeout(() => {
  console.error(`bench: still running after ${budgetS} s, giving up`);
  killChildren();
  process.exit(3);
}, budgetS * 1000).unref();
if (!existsSync(fileURLToPath(RESULTS_DIR))) await mkdir(RESULTS_DIR, { recursive: true });

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
