// Load test of the greeting sample: directly, through Portico, and through a bare node:http + undici proxy.
// See bench/README.md. Every run is bounded: autocannon stops after --duration and a watchdog ends the process.
// The backend and both proxies are child processes (Portico through its real CLI), so each one's CPU is its own
// and can be read from /proc/<pid>/stat; autocannon runs in a worker thread of this process.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const SCENARIOS = ['direct', 'portico', 'portico-observed', 'portico-cached', 'portico-throttle', 'portico-throttle-redis', 'minimal', 'nginx'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Target {
  scenario: Scenario;
  url: string;
  /** The proxy's process, whose CPU time is read around every measured rep. Absent for `direct`. */
  pid?: number;
  close(): Promise<void>;
}

interface Run {
  scenario: Scenario;
  rep: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Proxy CPU (user + system, all threads) per completed request, µs. null for `direct` or without /proc. */
  cpuUs: number | null;
  /** The same for the greeting backend. */
  backendCpuUs: number | null;
  /** The same for this process: autocannon's worker thread plus the idle main thread. */
  loadgenCpuUs: number;
}

interface Summary extends Omit<Run, 'rep'> {
  ratio: number | null;
}

const USAGE =
  'usage: npm run bench -- [--smoke] [--duration S] [--connections N] [--repeat N] [--warmup S] [--only direct,portico,portico-observed,portico-cached,portico-throttle,portico-throttle-redis,minimal] [--no-pin]';

const args = parseCli();
const smoke = args.smoke === true;
const duration = positive('duration', args.duration, smoke ? 1 : 10);
const connections = Math.round(positive('connections', args.connections, smoke ? 8 : 64));
const repeat = Math.round(positive('repeat', args.repeat, smoke ? 1 : 3));
const warmup = positive('warmup', args.warmup, smoke ? 0 : 2, true);
// The smoke pass exists to prove Portico serves: direct is the control, minimal adds nothing to that.
// nginx (the performance issue's reference) joins the full run when it is installed; say so when it isn't.
const HAS_NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].some((b) => existsSync(b));
if (!args.only && !smoke && !HAS_NGINX) console.error('bench: nginx is not installed, so the nginx scenario is left out (apt-get install nginx-light)');
const scenarios = parseOnly(args.only ?? (smoke ? 'direct,portico' : SCENARIOS.filter((x) => x !== 'nginx' || HAS_NGINX).join(',')));

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
        'no-pin': { type: 'boolean', default: false },
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

function parseOnly(raw: string): Scenario[] {
  const names = raw.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(SCENARIOS as readonly string[]).includes(n)) {
      fail(`--only: unknown scenario "${n}" (${SCENARIOS.join(', ')})`);
    }
  }
  return SCENARIOS.filter((s) => names.includes(s));
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BACKEND = fileURLToPath(new URL('./backend.ts', import.meta.url));
const MINIMAL_PROXY = fileURLToPath(new URL('./minimal-proxy.mjs', import.meta.url));
const DIST_CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SRC_CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const RESULTS_DIR = new URL('./results/', import.meta.url);
/** CI builds before it benches; locally, without dist/, the CLI runs from source through tsx. */
const porticoEntry = existsSync(DIST_CLI) ? 'dist' : 'src';
/** Proxies on CPU 0, backend on CPU 1; autocannon (this process) is left to the scheduler. */
const PROXY_CPU = 0;
const BACKEND_CPU = 1;
const pin = !args['no-pin'] && canPin();
const clkTck = clockTicks();

function canPin(): boolean {
  const onPath = (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, 'taskset'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!onPath) return false;
  try {
    // Both CPUs must be in this process's affinity mask (a container's cpuset may leave one out).
    execFileSync('taskset', ['-c', `${PROXY_CPU},${BACKEND_CPU}`, 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    console.error(`bench: taskset cannot use CPUs ${PROXY_CPU} and ${BACKEND_CPU}; running unpinned`);
    return false;
  }
}

function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // getconf missing: Linux's usual value.
  }
  return 100;
}

/** utime + stime of every thread of `pid`, in µs; null where there is no /proc (or the process is gone). */
function cpuTimeUs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces; fields 14 and 15 are utime and stime, in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clkTck;
  } catch {
    return null;
  }
}

/** A warning, not an error: a stale dist/ benches yesterday's gateway. */
function warnIfDistStale(): void {
  if (porticoEntry !== 'dist') return;
  const built = statSync(DIST_CLI).mtimeMs;
  const srcDir = join(ROOT, 'src');
  const newer = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(srcDir, f)).mtimeMs > built,
  );
  if (newer.length) {
    console.error(`bench: dist/ is older than ${newer.length} file(s) in src/ (${newer[0]}, …); run \`npm run build\``);
  }
}

// Every child is SIGKILLed, and every temporary directory removed, if this process exits without the normal
// cleanup (watchdog, uncaught error, a signal).
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
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

interface Server {
  pid: number;
  /** What `ready` extracted from the child's stdout. */
  value: string;
  stop(): Promise<void>;
}

/**
 * Starts a server as a child process (under `taskset` when pinning) and waits until `ready` finds what it needs
 * in a line of its stdout. stdout is read to the end, so a chatty child never blocks on a full pipe.
 */
async function spawnServer(
  name: string,
  argv: string[],
  cpu: number,
  ready: (line: string) => string | undefined,
): Promise<Server> {
  const [command, ...rest] = pin ? ['taskset', '-c', String(cpu), ...argv] : argv;
  // taskset execs the command, so the child's pid is the server's pid.
  const child = spawn(command!, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const tail: string[] = [];
  const value = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      const found = ready(line);
      if (found !== undefined) resolve(found);
    });
    child.once('error', reject);
    // 'close', not 'exit': by then all of its stdout has been read, so the tail is complete.
    child.once('close', (code, signal) => {
      const output = tail.length ? `; its last output:\n${tail.join('\n')}` : '';
      reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready${output}`));
    });
  });
  try {
    const found = await withTimeout(value, 20_000, `${name} was not ready after 20 s`);
    return { pid: child.pid!, value: found, stop: () => stopChild(child) };
  } catch (err) {
    child.kill('SIGKILL');
    children.delete(child);
    throw err;
  }
}

/** SIGTERM (Portico drains, the others just exit), then SIGKILL if it takes more than 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

async function startBackend(): Promise<Server> {
  return spawnServer('greeting backend', [process.execPath, '--import', 'tsx', BACKEND], BACKEND_CPU, (line) =>
    line.startsWith('http://') ? line.trim() : undefined,
  );
}

/**
 * The real CLI, as an operator runs it: `portico start -c CFG`, logs as pino JSON on stdout.
 * `portico` runs with metrics off and no access log (the bare proxy path); `portico-observed` with
 * metrics on (the default) and a JSON access log to a file, so the two compare the observability cost.
 * `portico-cached` is `portico` with the stage cache on: after the first request every one is a cache hit.
 */
async function startPortico(backendUrl: string, observed: boolean, cached = false, throttle?: { redisUrl?: string }): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-bench-'));
  tempDirs.add(dir);
  const configPath = join(dir, 'portico.yaml');
  await writeFile(
    configPath,
    [
      'version: 1',
      ...(throttle?.redisUrl ? [`store: { kind: redis, url: "${throttle.redisUrl}", keyPrefix: "bench:" }`] : []),
      'apis:',
      '  - name: greeting',
      '    type: rest',
      // portico-throttle(-redis): a stage bucket far above the load, so every request is checked and none refused.
      `    stages: { production: ${cached ? '{ cache: { enabled: true, ttlSeconds: 3600 } }' : throttle ? '{ throttle: { rate: 10000000, burst: 10000000 } }' : '{}'} }`,
      '    routes:',
      '      - route: ANY /{proxy+}',
      `        integration: { type: http_proxy, uri: "${backendUrl}/{proxy}" }`,
      observed
        ? `observability: { accessLog: { enabled: true, format: json, destination: "${join(dir, 'access.log')}" } }`
        : 'observability: { metrics: { enabled: false } }',
      '',
    ].join('\n'),
  );
  const entry = porticoEntry === 'dist' ? [DIST_CLI] : ['--import', 'tsx', SRC_CLI];
  const cli = [
    ...['start', '-c', configPath, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'],
    ...['--data-dir', join(dir, 'data'), '--no-watch', '--log-level', 'info'],
  ];
  const started = (line: string) => {
    if (!line.includes('"msg":"portico started"')) return undefined;
    const url = (JSON.parse(line) as { url?: unknown }).url;
    return typeof url === 'string' ? url : undefined;
  };
  const argv = [process.execPath, ...entry, ...cli];
  const scenario = throttle ? (throttle.redisUrl ? 'portico-throttle-redis' : 'portico-throttle') : cached ? 'portico-cached' : observed ? 'portico-observed' : 'portico';
  const name = `${scenario} (${porticoEntry})`;
  const server = await spawnServer(name, argv, PROXY_CPU, started).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
    throw err;
  });
  return {
    scenario,
    url: `${server.value}/production/api/greeting`,
    pid: server.pid,
    close: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = createNetServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as { port: number };
      s.close(() => resolve(p));
    });
  });
}

/**
 * nginx `proxy_pass` with upstream keep-alive (1 worker, the config of ../shared/bench-peers), the
 * reference every ratio in the performance issue is quoted against. Its CPU column is n/a: the work
 * happens in the worker process, not the master whose pid we hold.
 */
async function startNginx(backendUrl: string): Promise<Target> {
  const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((b) => existsSync(b));
  if (!bin) throw new Error('nginx scenario: nginx is not installed (apt-get install nginx-light)');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'portico-bench-nginx-'));
  await mkdir(join(dir, 'nginx-tmp'));
  const upstreamPort = new URL(backendUrl).port;
  const conf = `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx-tmp; proxy_temp_path ${dir}/nginx-tmp;
  fastcgi_temp_path ${dir}/nginx-tmp; uwsgi_temp_path ${dir}/nginx-tmp; scgi_temp_path ${dir}/nginx-tmp;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; keepalive_requests 1000000; keepalive_timeout 60s; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /api/greeting {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
    location / { return 404; }
  }
}
`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  // nginx says nothing on stdout; a sibling prints "ready" once it had time to bind, then sh execs
  // nginx itself, so the pid (and SIGTERM) are nginx's master.
  const argv = ['sh', '-c', `(sleep 0.5; echo ready) & exec ${bin} -p ${dir} -c ${dir}/nginx.conf`];
  const server = await spawnServer('nginx', argv, PROXY_CPU, (line) => (line === 'ready' ? 'ready' : undefined));
  return {
    scenario: 'nginx',
    url: `http://127.0.0.1:${port}/api/greeting`,
    close: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A redis-server of its own for portico-throttle-redis (persistence off), on the backend's CPU. */
async function startRedis(): Promise<Server> {
  const port = await freePort();
  const argv = ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  return spawnServer('redis-server', argv, BACKEND_CPU, (line) => (line.includes('Ready to accept connections') ? `redis://127.0.0.1:${port}` : undefined));
}

/**
 * The cost of Redis-backed throttling: portico-throttle-redis against portico-throttle (the same
 * stage bucket, in process) from the same run. rpsRatio = Redis RPS / embedded RPS.
 */
function throttleCost(rows: Summary[]): { line: string; figures: { rpsRatio: number; cpuOverhead: number | null } } | undefined {
  const local = rows.find((r) => r.scenario === 'portico-throttle');
  const redis = rows.find((r) => r.scenario === 'portico-throttle-redis');
  if (!local || !redis || local.rps === 0) return undefined;
  const rpsRatio = redis.rps / local.rps;
  const cpuOverhead = local.cpuUs && redis.cpuUs !== null ? redis.cpuUs / local.cpuUs - 1 : null;
  const cpu = cpuOverhead === null ? '' : `, CPU per request ${cpuOverhead >= 0 ? '+' : ''}${(cpuOverhead * 100).toFixed(1)}%`;
  return { line: `throttling in Redis (one EVALSHA per request): RPS ${rpsRatio.toFixed(2)} × embedded throttling${cpu}\n`, figures: { rpsRatio, cpuOverhead } };
}

async function startMinimal(backendUrl: string): Promise<Target> {
  const argv = [process.execPath, MINIMAL_PROXY, '--port', '0', '--target', backendUrl];
  const server = await spawnServer('minimal proxy', argv, PROXY_CPU, (line) =>
    /^\d+$/.test(line.trim()) ? line.trim() : undefined,
  );
  return {
    scenario: 'minimal',
    url: `http://127.0.0.1:${server.value}/api/greeting`,
    pid: server.pid,
    close: () => server.stop(),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One request before any load, so a broken route fails loudly instead of as a column of non-2xx. */
async function preflight(target: Target): Promise<void> {
  const res = await withTimeout(fetch(target.url), 5000, `${target.scenario}: preflight request timed out`);
  const body = await res.text();
  if (res.status !== 200 || !body.includes('"content":"Hello, World!"')) {
    throw new Error(`${target.scenario}: GET ${target.url} answered ${res.status} ${body.slice(0, 200)}`);
  }
}

async function load(target: Target, seconds: number): Promise<autocannon.Result> {
  // One worker thread: the load generator gets its own event loop, off this process's main thread.
  return autocannon({ url: target.url, connections, duration: seconds, pipelining: 1, timeout: 5, workers: 1 });
}

/** One measured rep: the load, and the CPU time each process spent on it. */
async function measure(target: Target, backendPid: number, rep: number): Promise<Run> {
  const proxy0 = cpuTimeUs(target.pid);
  const backend0 = cpuTimeUs(backendPid);
  const self0 = process.cpuUsage();
  const r = await load(target, duration);
  const self = process.cpuUsage(self0);
  const proxy1 = cpuTimeUs(target.pid);
  const backend1 = cpuTimeUs(backendPid);
  const requests = r.requests.total;
  const perRequest = (a: number | null, b: number | null) =>
    a === null || b === null || requests === 0 ? null : (b - a) / requests;
  return {
    scenario: target.scenario,
    rep,
    rps: requests / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    cpuUs: perRequest(proxy0, proxy1),
    backendCpuUs: perRequest(backend0, backend1),
    loadgenCpuUs: requests ? (self.user + self.system) / requests : 0,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function medianOrNull(xs: Array<number | null>): number | null {
  return xs.length && xs.every((x) => x !== null) ? median(xs as number[]) : null;
}

function summarize(runs: Run[]): Summary[] {
  const rows = scenarios.map((scenario) => {
    const mine = runs.filter((r) => r.scenario === scenario);
    const sum = (k: 'requests' | 'ok' | 'non2xx' | 'errors' | 'timeouts') => mine.reduce((a, r) => a + r[k], 0);
    return {
      scenario,
      rps: median(mine.map((r) => r.rps)),
      p50: median(mine.map((r) => r.p50)),
      p99: median(mine.map((r) => r.p99)),
      requests: sum('requests'),
      ok: sum('ok'),
      non2xx: sum('non2xx'),
      errors: sum('errors'),
      timeouts: sum('timeouts'),
      cpuUs: medianOrNull(mine.map((r) => r.cpuUs)),
      backendCpuUs: medianOrNull(mine.map((r) => r.backendCpuUs)),
      loadgenCpuUs: median(mine.map((r) => r.loadgenCpuUs)),
    };
  });
  const direct = rows.find((r) => r.scenario === 'direct')?.rps;
  return rows.map((r) => ({ ...r, ratio: direct ? r.rps / direct : null }));
}

/** autocannon records whole milliseconds (truncated), so 0 means "under 1 ms", not zero. */
function formatMs(ms: number): string {
  return ms < 1 ? '<1' : String(Math.round(ms * 10) / 10);
}

function formatUs(us: number | null): string {
  return us === null ? 'n/a' : us.toFixed(0);
}

/**
 * The cost of metrics + access log on the proxy path: portico-observed against portico, from the same run.
 * rpsRatio = observed RPS / plain RPS (1.00 = free); cpuOverhead = extra CPU µs per request, as a share.
 */
function observabilityCost(rows: Summary[]): { line: string; figures: { rpsRatio: number; cpuOverhead: number | null } } | undefined {
  const plain = rows.find((r) => r.scenario === 'portico');
  const observed = rows.find((r) => r.scenario === 'portico-observed');
  if (!plain || !observed || plain.rps === 0) return undefined;
  const rpsRatio = observed.rps / plain.rps;
  const cpuOverhead = plain.cpuUs && observed.cpuUs !== null ? observed.cpuUs / plain.cpuUs - 1 : null;
  const cpu = cpuOverhead === null ? '' : `, CPU per request ${cpuOverhead >= 0 ? '+' : ''}${(cpuOverhead * 100).toFixed(1)}%`;
  return {
    line: `observability (metrics + JSON access log to a file): RPS ${rpsRatio.toFixed(2)} × plain portico${cpu}\n`,
    figures: { rpsRatio, cpuOverhead },
  };
}

function printTable(rows: Summary[]): void {
  const head = [
    'scenario',
    'RPS',
    'p50 ms',
    'p99 ms',
    'cpu µs/req',
    'backend µs/req',
    'non-2xx',
    'errors',
    'vs direct',
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.rps.toFixed(0),
    formatMs(r.p50),
    formatMs(r.p99),
    formatUs(r.cpuUs),
    formatUs(r.backendCpuUs),
    String(r.non2xx),
    String(r.errors),
    r.ratio === null ? '-' : r.ratio.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(['', line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ''].join('\n'));
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const cleanups: Array<() => Promise<void>> = [];
  try {
    if (scenarios.some((s) => s.startsWith('portico'))) warnIfDistStale();
    const backend = await startBackend();
    cleanups.push(() => backend.stop());
    const targets: Target[] = [];
    let redisUrl: string | undefined;
    if (scenarios.includes('portico-throttle-redis')) {
      const redis = await startRedis();
      cleanups.push(() => redis.stop());
      redisUrl = redis.value;
    }
    for (const scenario of scenarios) {
      const target: Target =
        scenario === 'direct'
          ? { scenario, url: `${backend.value}/api/greeting`, close: async () => {} }
          : scenario === 'portico-throttle' || scenario === 'portico-throttle-redis'
            ? await startPortico(backend.value, false, false, scenario === 'portico-throttle' ? {} : { redisUrl: redisUrl as string })
          : scenario === 'portico' || scenario === 'portico-observed' || scenario === 'portico-cached'
            ? await startPortico(backend.value, scenario === 'portico-observed', scenario === 'portico-cached')
          : scenario === 'nginx'
            ? await startNginx(backend.value)
            : await startMinimal(backend.value);
      cleanups.push(() => target.close());
      await preflight(target);
      targets.push(target);
    }
    const plan = `${scenarios.join(', ')}: ${repeat} × ${duration} s, ${connections} connections`;
    const placement = pin ? `proxy on CPU ${PROXY_CPU}, backend on CPU ${BACKEND_CPU}` : 'unpinned';
    console.error(`bench: ${plan}${warmup ? `, ${warmup} s warm-up each` : ''}; ${placement}`);
    for (const target of warmup ? targets : []) await load(target, warmup);
    const runs: Run[] = [];
    // Interleaved (A B C A B C …) so slow drift on a shared machine hits every scenario alike.
    for (let rep = 1; rep <= repeat; rep++) {
      for (const target of targets) {
        const run = await measure(target, backend.pid, rep);
        const cpu = run.cpuUs === null ? '' : `, ${formatUs(run.cpuUs)} cpu µs/req`;
        console.error(`  rep ${rep} ${run.scenario.padEnd(16)} ${run.rps.toFixed(0).padStart(7)} rps${cpu}`);
        runs.push(run);
      }
    }
    const summary = summarize(runs);
    printTable(summary);
    const cost = observabilityCost(summary);
    if (cost) console.log(cost.line);
    const throttled = throttleCost(summary);
    if (throttled) console.log(throttled.line);
    const file = await writeResults(startedAt, runs, summary);
    console.error(`bench: results written to ${fileURLToPath(file)}`);
    // Smoke gate: every scenario answered 2xx and nothing failed at the socket level.
    const bad = summary.filter((r) => r.ok === 0 || (smoke && r.errors > 0));
    for (const r of bad) console.error(`bench: ${r.scenario} served ${r.ok} 2xx with ${r.errors} errors`);
    return bad.length ? 1 : 0;
  } finally {
    for (const close of cleanups.reverse()) await close().catch((err) => console.error('bench: cleanup:', err));
  }
}

async function writeResults(startedAt: Date, runs: Run[], summary: Summary[]): Promise<URL> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = new URL(`${startedAt.toISOString().replace(/[:.]/g, '-')}.json`, RESULTS_DIR);
  const machine = {
    node: process.version,
    platform: process.platform,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    clkTck,
  };
  const options = {
    smoke,
    duration,
    connections,
    repeat,
    warmup,
    scenarios,
    loadGenerator: 'autocannon (1 worker)',
    porticoEntry,
    pinning: pin ? { proxy: PROXY_CPU, backend: BACKEND_CPU, loadGenerator: 'unpinned' } : 'off',
  };
  const observability = observabilityCost(summary)?.figures ?? null;
  const redisThrottle = throttleCost(summary)?.figures ?? null;
  const report = { startedAt: startedAt.toISOString(), machine, loadavg: loadavg(), options, summary, observability, redisThrottle, runs };
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

// Setup, warm-up and every run are bounded; this catches anything that hangs anyway (a stuck close, a lost child).
const budgetMs = (30 + scenarios.length * (warmup + 3 + repeat * (duration + 3))) * 1000;
setTimeout(() => {
  console.error(`bench: still running after ${budgetMs / 1000} s, giving up`);
  killChildren();
  process.exit(3);
}, budgetMs).unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
