import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { startNginx } from './oracles.js';
import { FULL, p99, recordFigure } from './results.js';

/**
 * Issue 16, item 2 (slow clients, both directions), with the real `slowhttptest` at 300 connections
 * (40 in the fast variant of npm test): slow bodies (-B, R-U-Dead-Yet) and slow reads (-X) against
 * Portico with its default limits, then against nginx (proxy_request_buffering and proxy_buffering on,
 * its defaults) in the same run. Meanwhile a normal client of the same backend sends one request
 * every PROBE_EVERY_MS for a fixed window; its success ratio and p99 are the figures.
 */

const FILE = 'test/reliability/slow-clients.test.ts';
const CONNECTIONS = FULL ? 300 : 40;
/** slowhttptest's length; the probe window sits inside it, after the ramp. */
const ATTACK_S = FULL ? 40 : 9;
const RAMP_MS = FULL ? 4000 : 2000;
const WINDOW_MS = FULL ? 30_000 : 5000;
const PROBE_EVERY_MS = 200;
const PROBE_LIMIT_MS = 5000;
/** The response slow readers ask for: 4 MB, as in the issue. */
const BIG = Buffer.alloc(4 * 1024 * 1024, 'x');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (n: number) => Math.round(n / 1e5) / 10;

/** The backend: POST bodies are read and answered, /big is 4 MB, anything else a small 200. */
async function backend(t: TestContext): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/big'))
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BIG.length }).end(BIG);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, server };
}

const config = (origin: string) => `version: 1
admin: { enabled: false }
server: { limits: { maxConnections: 10000 } }
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${origin}/{proxy}" }
`;

interface ProbeResult {
  sent: number;
  ok: number;
  successPct: number;
  p99Ms: number;
  maxMs: number;
}

/** One GET /probe every PROBE_EVERY_MS for WINDOW_MS, each on a new connection; 200 within PROBE_LIMIT_MS is a success. */
async function probe(port: number): Promise<ProbeResult> {
  const latencies: number[] = [];
  let ok = 0;
  const pending: Promise<void>[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < WINDOW_MS) {
    pending.push(
      new Promise<void>((resolve) => {
        const start = Date.now();
        const done = (status: number) => {
          const ms = Date.now() - start;
          latencies.push(ms);
          if (status === 200 && ms <= PROBE_LIMIT_MS) ok++;
          resolve();
        };
        const req = request(
          { host: '127.0.0.1', port, path: '/probe', agent: false, timeout: PROBE_LIMIT_MS },
          (res) => {
            res.resume();
            res.on('end', () => done(res.statusCode ?? 0));
            res.on('error', () => done(0));
          },
        );
        req.on('timeout', () => req.destroy());
        req.on('error', () => done(0));
        req.end();
      }),
    );
    await sleep(PROBE_EVERY_MS);
  }
  await Promise.all(pending);
  return {
    sent: latencies.length,
    ok,
    successPct: Math.round((1000 * ok) / latencies.length) / 10,
    p99Ms: p99(latencies),
    maxMs: Math.max(0, ...latencies),
  };
}

/** `portico start` in its own process, so its RSS and event loop are its own. */
async function startPortico(t: TestContext, yaml: string): Promise<{ port: number; pid: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-slow-'));
  const file = join(dir, 'portico.yaml');
  await writeFile(file, yaml);
  const proc = spawnCli(['start', '-c', file, '--listen', '127.0.0.1:0', '--no-watch']);
  t.after(async () => {
    proc.kill('SIGKILL');
    await proc.exited;
    await rm(dir, { recursive: true, force: true });
  });
  const m = await proc.waitFor(/"url":"http:\/\/127\.0\.0\.1:(\d+)".*"portico started"/, 30_000);
  return { port: Number(m[1]), pid: proc.child.pid ?? 0 };
}

/** RSS of a process, from /proc. */
function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface Attack {
  probe: ProbeResult;
  rss: { before: number; peak: number; after: number };
  /** slowhttptest rounds run in the window, slow connections the server closed over them, and how rounds ended. */
  slow: { rounds: number; closed: number; exits: string[] };
}

/** Runs slowhttptest against `port` and probes meanwhile; samples `pid`'s RSS every 500 ms. */
async function attack(bin: string, port: number, pid: number, mode: '-B' | '-X'): Promise<Attack> {
  const url = mode === '-B' ? `http://127.0.0.1:${port}/upload` : `http://127.0.0.1:${port}/big`;
  const args =
    mode === '-B'
      ? // 8 KB declared, up to 10 bytes every 3 s: ~3 bytes/s.
        [
          '-B',
          '-c',
          String(CONNECTIONS),
          '-r',
          '100',
          '-s',
          '8192',
          '-i',
          '3',
          '-x',
          '10',
          '-p',
          '3',
          '-l',
          String(ATTACK_S),
          '-u',
          url,
        ]
      : // read 32 bytes every second through a 512-1024 byte window: ~32 bytes/s.
        [
          '-X',
          '-c',
          String(CONNECTIONS),
          '-r',
          '100',
          '-w',
          '512',
          '-y',
          '1024',
          '-n',
          '1',
          '-z',
          '32',
          '-k',
          '1',
          '-p',
          '3',
          '-l',
          String(ATTACK_S),
          '-u',
          url,
        ];
  const before = rssOf(pid);
  // The attack is kept up for the whole window: when the server has closed every slow connection,
  // slowhttptest exits ("No open connections left") and a new round starts at once.
  const rounds: { exit: string; closed: number }[] = [];
  let child: ChildProcess | undefined;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((r) => c.on('close', () => r()));
      const plain = out.replace(/\x1b\[[0-9;]*m/g, ''); // its colours
      const exit = /Exit status:\s*(.+)/.exec(plain)?.[1]?.trim() ?? 'killed';
      // Its last status line is printed before the end; "No open connections left" means all were closed.
      const last = Number([...plain.matchAll(/closed:\s+(\d+)/g)].at(-1)?.[1] ?? 0);
      rounds.push({ exit, closed: /No open connections/.test(exit) ? CONNECTIONS : last });
    }
  })();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 500);
  try {
    await sleep(RAMP_MS);
    const p = await probe(port);
    stop = true;
    child?.kill('SIGKILL');
    await loop;
    await sleep(1000);
    const closed = rounds.reduce((n, r) => n + r.closed, 0);
    return {
      probe: p,
      rss: { before, peak, after: rssOf(pid) },
      slow: { rounds: rounds.length, closed, exits: [...new Set(rounds.map((r) => r.exit))] },
    };
  } finally {
    stop = true;
    clearInterval(sampler);
    child?.kill('SIGKILL');
  }
}

const summary = (a: Attack) => `${a.probe.successPct} % (${a.probe.ok}/${a.probe.sent}), p99 ${a.probe.p99Ms} ms`;
const rssLine = (a: Attack) => `RSS ${mb(a.rss.before)} → ${mb(a.rss.peak)} → ${mb(a.rss.after)} MB`;

for (const mode of ['-B', '-X'] as const) {
  const name = mode === '-B' ? 'slow bodies' : 'slow reads';
  test(`${name} (slowhttptest ${mode}, ${CONNECTIONS} connections): a normal client of the same backend is still served (nginx beside it)`, async (t) => {
    const bin = requireBinary(t, 'slowhttptest', 'apt-get install slowhttptest');
    if (!bin) return;
    const nginxBin = requireBinary(t, 'nginx', 'apt-get install nginx-light');
    const up = await backend(t);
    const gw = await startPortico(t, config(`http://127.0.0.1:${up.port}`));
    const portico = await attack(bin, gw.port, gw.pid, mode);
    let nginx: Attack | undefined;
    if (nginxBin) {
      const ng = await startNginx(nginxBin, up.port, {
        workerConnections: CONNECTIONS * 2 + 200,
        main: `worker_rlimit_nofile ${CONNECTIONS * 4 + 400};`,
      });
      try {
        nginx = await attack(bin, ng.port, ng.pid, mode);
      } finally {
        await ng.stop();
      }
    }
    t.diagnostic(JSON.stringify({ portico, nginx }));
    recordFigure({
      id: mode === '-B' ? 'slow-bodies' : 'slow-reads',
      figure: `${name[0]!.toUpperCase()}${name.slice(1)}, slowhttptest ${mode} at ${CONNECTIONS} connections: a normal client's success, p99; RSS before → peak → after; slow connections the server closed (slowhttptest restarted whenever all were closed)`,
      value:
        `${summary(portico)}; ${rssLine(portico)}; ${portico.slow.closed} slow connections closed in ${portico.slow.rounds} rounds; ` +
        `nginx: ${nginx ? `${summary(nginx)}; ${rssLine(nginx)}; ${nginx.slow.closed} closed in ${nginx.slow.rounds} rounds` : 'not run'}`,
      target: '≥ 99 % success, p99 ≤ 2 s, RSS bounded',
      test: `${FILE} › ${name}`,
      details: {
        connections: CONNECTIONS,
        attackSeconds: ATTACK_S,
        windowMs: WINDOW_MS,
        probeEveryMs: PROBE_EVERY_MS,
        portico,
        nginx,
      },
    });
    // Slow bodies are cut by bodyMinBytesPerSecond after bodyRateGraceMs (408, then close): every round ends that way.
    if (mode === '-B') assert.ok(portico.slow.closed >= CONNECTIONS, `slow bodies closed: ${portico.slow.closed}`);
    assert.ok(portico.probe.successPct >= 99, `success ${portico.probe.successPct} %`);
    assert.ok(portico.probe.p99Ms <= 2000, `p99 ${portico.probe.p99Ms} ms`);
    // Bounded: read-ahead over all readers is capped at responseBufferTotalBytes (64 MB); beyond it, each
    // connection costs its socket and parser state (well under 256 KB), plus slack for the heap's growth.
    const bound = 64 * 1024 * 1024 + CONNECTIONS * 256 * 1024 + 32 * 1024 * 1024;
    assert.ok(
      portico.rss.peak - portico.rss.before < bound,
      `RSS grew ${mb(portico.rss.peak - portico.rss.before)} MB, bound ${mb(bound)} MB`,
    );
  });
}
