import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { ROOT } from '../helpers/cli.js';
import { startUpstream } from '../helpers/gateway.js';
import { FULL, recordFigure } from './results.js';

/**
 * A bounded soak at moderate load (16 connections; proxied GETs, POSTs, mocks, 404s and 400s): the
 * gateway runs in its own process and reports heap (after a full GC), RSS and open descriptors every
 * second. After a warm-up quarter, the heap and RSS slopes (least squares, per minute) must be about
 * zero and the descriptor count stable. 10 minutes in the full suite, 20 s in npm test.
 * (Keys, throttle, cache and metrics join the load when their issues land.)
 */
const SECONDS = Number(process.env.PORTICO_SOAK_SECONDS) || (FULL ? 600 : 20);

interface Sample {
  t: number;
  heap: number;
  rss: number;
  fds: number;
}

/** Least-squares slope in bytes per minute. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

test(`soak: ${SECONDS} s at moderate load; heap and RSS slopes ≈ 0, descriptor count stable`, { timeout: (SECONDS + 60) * 1000 }, async (t) => {
  const up = await startUpstream((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  const dir = await mkdtemp(join(tmpdir(), 'portico-soak-'));
  const file = join(dir, 'portico.yaml');
  await writeFile(
    file,
    `version: 1
dataDir: ./data
server: { timeouts: { drainMs: 2000 } }
apis:
  - name: soak
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /mock
        integration: { type: mock, body: '{"ok":true}' }
      - route: ANY /api/{proxy+}
        integration: { type: http_proxy, uri: "${up.url}/{proxy}" }
`,
  );
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'test/reliability/soak-child.ts'), file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await up.close();
    await rm(dir, { recursive: true, force: true });
  });
  const samples: Sample[] = [];
  let url = '';
  const ready = new Promise<void>((resolve) => {
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = JSON.parse(buf.slice(0, nl)) as { url?: string } & Sample;
        buf = buf.slice(nl + 1);
        if (line.url) {
          url = line.url;
          resolve();
        } else samples.push(line);
      }
    });
  });
  await ready;
  const agent = new Agent({ connections: 16 });
  const end = Date.now() + SECONDS * 1000;
  let requests = 0;
  const errors: string[] = [];
  const paths = ['/api/a', '/api/b/c?x=1', '/mock', '/nope', '/api/%2e%2e/x'];
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      for (let i = w; Date.now() < end; i++) {
        const path = paths[i % paths.length] as string;
        const post = i % 7 === 0;
        try {
          const r = await request(`${url}${post ? '/api/upload' : path}`, { dispatcher: agent, method: post ? 'POST' : 'GET', body: post ? 'x'.repeat(4096) : undefined });
          await r.body.text();
          requests++;
          if (r.statusCode >= 500) errors.push(`${path} ${r.statusCode}`);
        } catch (err) {
          errors.push(`${path} ${(err as Error).message}`);
        }
        // Moderate load: a short pause per request and worker.
        await new Promise((r) => setTimeout(r, 2));
      }
    }),
  );
  await agent.close();
  await new Promise((r) => setTimeout(r, 1500)); // one more sample with the load gone
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const steady = samples.slice(Math.floor(samples.length / 4));
  assert.ok(steady.length >= 10, `only ${steady.length} samples`);
  const t0 = (steady[0] as Sample).t;
  const heapSlope = slope(steady.map((s) => [s.t - t0, s.heap]));
  const rssSlope = slope(steady.map((s) => [s.t - t0, s.rss]));
  const fds = steady.map((s) => s.fds);
  const mb = (b: number) => `${(b / 1048576).toFixed(2)} MB/min`;
  recordFigure({
    id: 'soak',
    figure: `Soak (${SECONDS} s, 16 connections): heap slope / RSS slope / open fds (min–max)`,
    value: `${mb(heapSlope)} / ${mb(rssSlope)} / ${Math.min(...fds)}–${Math.max(...fds)}`,
    target: '≈ 0 / ≈ 0 / stable',
    test: 'test/reliability/soak.test.ts › soak',
    details: { requests, errors: errors.length, samples: samples.length, heapMB: steady.map((s) => +(s.heap / 1048576).toFixed(2)) },
  });
  assert.deepEqual(errors.slice(0, 5), []);
  // Bounds: the short run only catches gross leaks (its first minute still warms up: JIT, pools,
  // caches); the 10-minute run holds the heap to well under 1 KB per second of load.
  const long = SECONDS >= 300;
  assert.ok(heapSlope < (long ? 0.5 : 8) * 1048576, `heap grows ${mb(heapSlope)}`);
  assert.ok(rssSlope < (long ? 2 : 40) * 1048576, `RSS grows ${mb(rssSlope)}`);
  assert.ok(Math.max(...fds) - Math.min(...fds) <= 20, `descriptor count moved from ${Math.min(...fds)} to ${Math.max(...fds)}`);
});
