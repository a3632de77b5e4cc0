import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { ADMIN_TOKEN, sharedSecret } from '../cluster/harness.js';
import { FULL, recordFigure } from './results.js';

/** Requests per burst, and how many are in flight at once. */
const BURST = FULL ? 3000 : 300;
const CONCURRENCY = 16;
const TEST_FILE = 'test/reliability/crash-counts.test.ts';

const CONFIG = `version: 1
admin: { token: ${ADMIN_TOKEN} }
usagePlans:
  bulk:
    stages: { svc/$default: {} }
    quota: { limit: 1000000, period: DAY }
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /keyed, apiKeyRequired: true, integration: { type: mock, statusCode: 200, body: ok } }
`;

const dirs: string[] = [];
const procs: CliProcess[] = [];
const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 10_000 });
after(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await agent.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-crash-'));
  dirs.push(dir);
  await writeFile(join(dir, 'portico.yaml'), CONFIG);
  await writeFile(join(dir, 'api-key.secret'), sharedSecret(), { mode: 0o600 });
  return dir;
}

/** `portico start` on the dir (as a child process); resolves with its URLs once it serves. */
async function start(
  dir: string,
  args: string[] = [],
  ready = /"portico started"/,
): Promise<{ proc: CliProcess; url: string; adminUrl: string }> {
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
  procs.push(proc);
  const m = await proc.waitFor(/"url":"(http:\/\/[^"]+)","admin":"(http:\/\/[^"]+)"/, 30_000);
  await proc.waitFor(ready, 30_000);
  return { proc, url: m[1] as string, adminUrl: m[2] as string };
}

async function adminCall(
  adminUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(new URL(path, adminUrl), {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', connection: 'close' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

/**
 * BURST keyed requests, CONCURRENCY at a time; `kill` runs once `killAt` of them were answered 2xx
 * (the others keep going, and fail or not). Returns how many the client saw answered 2xx.
 */
async function burst(url: string, key: string, killAt: { at: number; kill: () => void }[]): Promise<number> {
  let next = 0;
  let ok = 0;
  const pending = [...killAt].sort((a, b) => a.at - b.at);
  const one = async (): Promise<void> => {
    while (next < BURST) {
      next++;
      try {
        const r = await request(`${url}/keyed`, {
          headers: { 'x-api-key': key },
          dispatcher: agent,
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        const body = await r.body.text();
        if (r.statusCode === 200 && body === 'ok') ok++;
      } catch {
        // the process was killed under it: not answered
      }
      while (pending[0] && ok >= pending[0].at) (pending.shift() as { kill: () => void }).kill();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, one));
  return ok;
}

/** The key's usage today and its quota counter, as a restarted gateway on the dir reads them. */
async function countsAfterRestart(dir: string, keyId: string): Promise<{ usage: number; quota: number }> {
  const g = await start(dir);
  try {
    const today = new Date().toISOString().slice(0, 10);
    const u = await adminCall(g.adminUrl, 'GET', `/keys/${keyId}/usage?from=${today}&to=${today}`);
    // The quota counter is not on the admin API: read it from the file the restarted gateway opened.
    const db = new Database(join(dir, 'portico.db'), { readonly: true, fileMustExist: true });
    const row = db
      .prepare("SELECT sum(value) AS v FROM counters WHERE key LIKE 'quota:bulk:' || ? || ':%'")
      .get(keyId) as { v: number | null };
    db.close();
    return { usage: Number(u.total ?? 0), quota: row.v ?? 0 };
  } finally {
    g.proc.kill('SIGTERM');
    await g.proc.exited;
  }
}

function sigkill(proc: CliProcess): () => void {
  return () => proc.child.kill('SIGKILL');
}

/**
 * Counts on the restarted gateway, records the figure and checks the bound: no quota count of a
 * request answered 2xx is lost, and usage (counted after the response) misses at most the requests
 * in flight at each of the `kills`.
 */
async function checkCounts(o: {
  dir: string;
  keyId: string;
  ok: number;
  kills: number;
  id: string;
  figure: string;
  name: string;
}): Promise<void> {
  const c = await countsAfterRestart(o.dir, o.keyId);
  const lostUsage = Math.max(0, o.ok - c.usage);
  const lostQuota = Math.max(0, o.ok - c.quota);
  recordFigure({
    id: o.id,
    figure: o.figure,
    value: `usage ${lostUsage}, quota ${lostQuota} of ${o.ok} answered 2xx (counted after restart: usage ${c.usage}, quota ${c.quota}; ${CONCURRENCY} in flight)`,
    target:
      o.kills === 1
        ? `quota 0; usage ≤ the ${CONCURRENCY} in flight`
        : `quota 0; usage ≤ the ${CONCURRENCY} in flight at each of the ${o.kills} kills`,
    test: `${TEST_FILE} › ${o.name}`,
    details: { burst: BURST, concurrency: CONCURRENCY, answered2xx: o.ok, ...c, lostUsage, lostQuota },
  });
  assert.equal(lostQuota, 0, `quota counted ${c.quota} of ${o.ok} answered`);
  assert.ok(lostUsage <= o.kills * CONCURRENCY, `usage counted ${c.usage} of ${o.ok} answered`);
  // Counted but never answered: only requests in flight at a kill (their quota was taken before the answer).
  assert.ok(c.quota - o.ok <= o.kills * CONCURRENCY, `quota ${c.quota} counts at most those in flight beyond ${o.ok}`);
}

const SINGLE = 'kill -9 under load loses no quota count of a request answered 2xx and at most the in-flight usage';
const WORKERS =
  '--workers 2: kill -9 of a worker, then of the primary, under load loses no quota count of a request answered 2xx and at most the in-flight usage';

describe('usage and quota counts across kill -9', () => {
  test(SINGLE, async () => {
    const dir = await dataDir();
    const g = await start(dir);
    const key = await adminCall(g.adminUrl, 'POST', '/keys', { name: 'burst', plans: ['bulk'] });
    const ok = await burst(g.url, key.value as string, [{ at: Math.floor(BURST / 2), kill: sigkill(g.proc) }]);
    await g.proc.exited;
    assert.ok(ok >= BURST / 2 && ok < BURST, `the kill cut the burst: ${ok} of ${BURST} answered`);
    await checkCounts({
      dir,
      keyId: key.id as string,
      ok,
      kills: 1,
      id: 'crash-counts',
      figure: 'Usage and quota counts lost to kill -9 under load (single process)',
      name: SINGLE,
    });
  });

  test(WORKERS, async () => {
    const dir = await dataDir();
    const g = await start(dir, ['--workers', '2'], /portico workers ready/);
    const key = await adminCall(g.adminUrl, 'POST', '/keys', { name: 'burst', plans: ['bulk'] });
    const worker = (await adminCall(g.adminUrl, 'GET', '/cluster')).pid as number;
    const ok = await burst(g.url, key.value as string, [
      { at: Math.floor(BURST / 3), kill: () => process.kill(worker, 'SIGKILL') },
      { at: Math.floor((2 * BURST) / 3), kill: sigkill(g.proc) },
    ]);
    await g.proc.exited;
    // The workers leave once the primary is gone (they drain on disconnect).
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(ok >= (2 * BURST) / 3 && ok < BURST, `the kills cut the burst: ${ok} of ${BURST} answered`);
    await checkCounts({
      dir,
      keyId: key.id as string,
      ok,
      kills: 2,
      id: 'crash-counts-workers',
      figure: 'Usage and quota counts lost to kill -9 of a worker, then of the primary, under load (--workers 2)',
      name: WORKERS,
    });
  });
});
