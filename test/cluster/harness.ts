import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { type CliProcess, spawnCli } from '../helpers/cli.js';

export const ADMIN_TOKEN = 'cluster-test-admin-token-0123456789';

/** One `portico start` process. */
export interface Node {
  proc: CliProcess;
  url: string;
  adminUrl: string;
  dir: string;
}

/**
 * The shared test config: an HTTP API with a keyed route and an open one, usage plans `rated`
 * (100 rps, burst 50), `metered` (quota 50/DAY, no throttle), and the store from `store` (YAML).
 */
export function clusterConfig(store: string, extra = ''): string {
  return `version: 1
admin: { token: ${ADMIN_TOKEN} }
store: ${store}
usagePlans:
  rated:
    stages: { svc/$default: {} }
    throttle: { rate: 100, burst: 50 }
  metered:
    stages: { svc/$default: {} }
    quota: { limit: 50, period: DAY }
  open:
    stages: { svc/$default: {} }
${extra}apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /keyed, apiKeyRequired: true, integration: { type: mock, statusCode: 200, body: ok } }
      - { route: GET /free, integration: { type: mock, statusCode: 200, body: ok } }
`;
}

/** A 32-byte api-key.secret shared by the nodes (docs/cluster.md: every node needs the same one). */
export function sharedSecret(): string {
  return `${randomBytes(32).toString('base64url')}\n`;
}

/** Starts `portico start` with the config in a fresh dir holding the shared secret; resolves once it listens. */
export async function startNode(yaml: string, secret: string, args: string[] = [], readyLine?: RegExp): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-node-'));
  await writeFile(join(dir, 'portico.yaml'), yaml);
  await writeFile(join(dir, 'api-key.secret'), secret, { mode: 0o600 });
  const proc = spawnCli([
    'start',
    '-c',
    join(dir, 'portico.yaml'),
    '--data-dir',
    dir,
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--no-watch',
    ...args,
  ]);
  try {
    const m = await proc.waitFor(/"url":"(http:\/\/[^"]+)","admin":"(http:\/\/[^"]+)"/, 30_000);
    if (readyLine) await proc.waitFor(readyLine, 30_000);
    return { proc, url: m[1] as string, adminUrl: m[2] as string, dir };
  } catch (err) {
    proc.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function stopNode(n: Node): Promise<number | null> {
  n.proc.kill('SIGTERM');
  const code = await Promise.race([
    n.proc.exited,
    new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000).unref()),
  ]);
  if (code === 'hung') n.proc.kill('SIGKILL');
  await rm(n.dir, { recursive: true, force: true });
  return code === 'hung' ? -1 : code;
}

export async function adminCall(
  n: { adminUrl: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, n.adminUrl), {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** keep-alive connections for the load loops. */
export const agent = new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 10_000 });

/** One GET; the status, or 0 for a transport error. `timeoutMs` bounds it (a hang counts as -1). */
export async function get(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<number> {
  try {
    const r = await request(url, {
      method: 'GET',
      headers,
      dispatcher: agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await r.body.dump();
    return r.statusCode;
  } catch (err) {
    return (err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' ? -1 : 0;
  }
}

/** One GET on a new connection (no keep-alive); the status, or 0 for a transport error, -1 after timeoutMs. */
export function getFresh(url: string, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve(-1);
    });
    req.on('error', () => resolve(0));
  });
}

/** Polls `check` every 20 ms until it is true or `boundMs` has passed; true if it became true. */
export async function within(boundMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + boundMs;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

export interface LoadResult {
  statuses: Map<number, number>;
  /** Wall time from the first request sent to the last answer, ms. */
  elapsedMs: number;
  latencies: number[];
  total: number;
}

/**
 * `concurrency` loops sending GETs round-robin over `urls` for `durationMs` (and at most
 * `maxRequests` in all): a bounded load generator.
 */
export async function load(
  urls: string[],
  headers: Record<string, string>,
  durationMs: number,
  concurrency: number,
  maxRequests = 200_000,
): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let sent = 0;
  const start = performance.now();
  const end = start + durationMs;
  let last = start;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      let i = w;
      while (performance.now() < end && sent < maxRequests) {
        sent++;
        const t0 = performance.now();
        const s = await get(urls[i++ % urls.length] as string, headers);
        const t1 = performance.now();
        latencies.push(t1 - t0);
        last = Math.max(last, t1);
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
    }),
  );
  return { statuses, elapsedMs: last - start, latencies, total: sent };
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

/** The worker processes of a primary (its direct children, from /proc). */
export function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}
