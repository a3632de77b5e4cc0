// The benchmark harness (bench/): its Portico configs are valid, its load generators send what they claim and
// count what they got, its report computes the targets as met / missed / not run, and the whole CLI runs.
// Speed itself is never asserted here: that is what `npm run bench` prints.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compareTwins, depsCompatible, formatComparisons, repOrder, withTwins } from '../../bench/lib/compare.js';
import { parseWrkOutput, type RequestSpec, runFixedRate, runHiccup, runLoad, wrkScript } from '../../bench/lib/load.js';
import { makeBenchCert } from '../../bench/lib/cert.js';
import { PORTICO_VARIANTS, porticoConfig, ROUTE_COUNT, SMALL_ROUTE_COUNT } from '../../bench/lib/portico-config.js';
import {
  choosePlacement,
  freePort,
  machineCpuUs,
  processTree,
  selfAndReapedCpuUs,
  spawnServer,
  treeCpuUs,
  treeRssBytes,
} from '../../bench/lib/proc.js';
import {
  costs,
  evaluateGoals,
  formatGoals,
  formatLatency,
  noiseWarning,
  type Row,
  type Run,
  summarize,
} from '../../bench/lib/report.js';
import { SCENARIOS, scenario, selectScenarios, targetKey } from '../../bench/lib/scenarios.js';
import { validateCommand } from '../../src/cli/commands.js';
import { ROOT } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/gateway.js';
import { findBinary } from '../helpers/require-binary.js';

describe('bench: Portico configs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-bench-test-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('every variant passes `portico validate`; routes10k has 10,000 routes, routes10 10 and the others one', async () => {
    const cert = await makeBenchCert(dir);
    const ctx = {
      backendUrl: 'http://127.0.0.1:9',
      dir,
      adminToken: 'a'.repeat(32),
      redisUrl: 'redis://127.0.0.1:6379',
      jwksUrl: 'http://127.0.0.1:9/jwks',
      tls: { port: 8443, ...cert },
    };
    for (const variant of PORTICO_VARIANTS) {
      const file = join(dir, `${variant}.yaml`);
      await writeFile(file, porticoConfig(variant, ctx));
      // `portico validate`, in process (one tsx start per variant would take longer than the checks).
      const out: string[] = [];
      const code = await validateCommand(['-c', file], { out: (l) => out.push(l), err: (l) => out.push(l), env: {} });
      assert.equal(code, 0, `${variant}: ${out.join('\n')}`);
      const routes =
        variant === 'routes10k'
          ? `${ROUTE_COUNT} routes`
          : variant === 'routes10'
            ? `${SMALL_ROUTE_COUNT} routes`
            : '1 route';
      assert.match(out.join('\n'), new RegExp(`ok \\(1 API, ${routes}\\)`), variant);
    }
  });

  test('the policy variants carry their policy: API key and plan, JWT authorizer, cache, throttle, workers share plain', () => {
    const ctx = {
      backendUrl: 'http://127.0.0.1:9',
      dir: '/tmp/x',
      adminToken: 'a'.repeat(32),
      jwksUrl: 'http://127.0.0.1:9/jwks',
      redisUrl: 'redis://r:1',
    };
    const full = porticoConfig('full', ctx);
    assert.match(full, /apiKeyRequired: true/);
    assert.match(full, /usagePlans:\n {2}bench:\n {4}stages: \{ greeting\/production: \{\} \}\n {4}throttle:/);
    assert.match(full, /accessLog: \{ enabled: true/);
    assert.doesNotMatch(full, /metrics: \{ enabled: false \}/, 'metrics stay on (the default) in the full chain');
    assert.match(porticoConfig('jwt', ctx), /authorizer: bench/);
    assert.match(porticoConfig('cached', ctx), /cache: \{ enabled: true, ttlSeconds: 3600 \}/);
    assert.match(porticoConfig('throttle-redis', ctx), /store: \{ kind: redis/);
    assert.match(porticoConfig('plain', ctx), /metrics: \{ enabled: false \}/);
    assert.equal(porticoConfig('workers2', ctx), porticoConfig('plain', ctx));
    assert.throws(() => porticoConfig('jwt', { ...ctx, jwksUrl: undefined }), /needs a key set URL/);
    assert.throws(() => porticoConfig('tls', ctx), /portico-tls needs a certificate/);
    const tls = porticoConfig('tls', { ...ctx, tls: { port: 8443, certFile: '/c.pem', keyFile: '/c.key' } });
    assert.match(
      tls,
      /extraListeners:\n {4}- listen: "127.0.0.1:8443"\n {6}tls: \{ certificates: \[\{ cert: "\/c.pem"/,
    );
  });
});

describe('bench: scenario selection', () => {
  test('the issue numbers 1-10 are all there, once each', () => {
    const nums = SCENARIOS.filter((s) => s.num !== undefined).map((s) => s.num);
    assert.deepEqual(nums, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('without --only: every scenario, minus those whose peer is missing (reported as skipped)', () => {
    const none = selectScenarios(undefined, false, () => false);
    assert.deepEqual(
      none.skipped.map((s) => s.name),
      [
        'nginx',
        'fast-gateway',
        'nginx-post-1mb',
        'haproxy',
        'portico-throttle-redis',
        'caddy',
        'nginx-https',
        'nginx-https-newconn',
      ],
    );
    assert.ok(none.selected.some((s) => s.name === 'portico-10k-routes'));
    assert.ok(!none.selected.some((s) => s.needs));
    assert.equal(selectScenarios(undefined, false, () => true).selected.length, SCENARIOS.length);
  });

  test('--smoke: a small set that needs no peer but nginx, which it skips when missing', () => {
    const smoke = selectScenarios(undefined, true, () => false);
    assert.deepEqual(
      smoke.selected.map((s) => s.name),
      ['direct', 'portico', 'portico-full', 'portico-jwt', 'portico-cached', 'portico-post-1mb'],
    );
    assert.deepEqual(
      smoke.skipped.map((s) => s.name),
      ['nginx'],
    );
  });

  test('--only: unknown names and missing peers are errors, the order is the table order', () => {
    assert.match(selectScenarios('direct,nope', false, () => true).error ?? '', /unknown scenario "nope"/);
    assert.match(
      selectScenarios('fast-gateway', false, () => false).error ?? '',
      /fast-gateway needs fast-gateway, which is not installed/,
    );
    assert.deepEqual(
      selectScenarios('minimal,direct', false, () => false).selected.map((s) => s.name),
      ['direct', 'minimal'],
    );
  });
});

function run(scenarioName: string, over: Partial<Run> = {}): Run {
  return {
    scenario: scenarioName,
    rep: 1,
    rps: 1000,
    p50Us: 500,
    p99Us: 2000,
    requests: 1000,
    ok: 1000,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    cpuUs: 100,
    backendCpuUs: 20,
    rssBytes: 80 * 1024 * 1024,
    ...over,
  };
}

describe('bench: report', () => {
  const defs = (names: string[]) => names.map((n) => scenario(n)!);

  test('medians over reps, counts summed, RSS the largest sample; ratios against the same request direct and through nginx', () => {
    const names = ['direct', 'nginx', 'portico', 'direct-post-1mb', 'nginx-post-1mb', 'portico-post-1mb'];
    const runs = [
      run('direct', { rps: 10000, cpuUs: null, rssBytes: null }),
      run('nginx', { rps: 5000 }),
      ...[3000, 1000, 2000].map((rps, i) => run('portico', { rps, rep: i + 1, rssBytes: (100 + i) * 1024 * 1024 })),
      run('direct-post-1mb', { rps: 400, cpuUs: null, rssBytes: null }),
      run('nginx-post-1mb', { rps: 200 }),
      run('portico-post-1mb', { rps: 100 }),
    ];
    const rows = summarize(defs(names), runs, new Set(['portico']));
    const portico = rows.find((r) => r.scenario === 'portico')!;
    assert.equal(portico.rps, 2000);
    assert.equal(portico.requests, 3000);
    assert.equal(portico.rssBytes, 102 * 1024 * 1024);
    assert.equal(portico.vsDirect, 0.2);
    assert.equal(portico.vsNginx, 0.4);
    assert.equal(portico.pinned, false);
    const post = rows.find((r) => r.scenario === 'portico-post-1mb')!;
    assert.equal(post.vsDirect, 0.25, 'the POST divides by the direct POST, not the direct GET');
    assert.equal(post.vsNginx, 0.5);
    assert.equal(rows.find((r) => r.scenario === 'direct')!.cpuUs, null);
  });

  test('targets: met, missed, and not run when a scenario they need was not measured', () => {
    const names = [
      'direct',
      'nginx',
      'fast-gateway',
      'portico',
      'portico-full',
      'portico-cached',
      'portico-10k-routes',
      'minimal',
    ];
    const runs = [
      run('direct', { rps: 20000 }),
      run('nginx', { rps: 10000 }),
      run('fast-gateway', { rps: 2000 }),
      run('portico', { rps: 5000, cpuUs: 110 }),
      run('portico-full', { rps: 3300 }),
      run('portico-cached', { rps: 9000 }),
      run('portico-10k-routes', { rps: 4900, cpuUs: 120, rssBytes: 140 * 1024 * 1024 }),
      run('minimal', { cpuUs: 100 }),
    ];
    const rows = summarize(defs(names), runs);
    const goals = evaluateGoals(rows, {
      rate: 2500,
      direct: { p50Us: 100, p99Us: 400, errors: 0, non2xx: 0 },
      portico: { p50Us: 300, p99Us: 1600, errors: 0, non2xx: 0 },
      addedP99Us: 1200,
    });
    const status = Object.fromEntries(
      goals.map((g) => [g.what.replace(/ \(.*/, ''), [g.status, Number(g.value?.toFixed(3))]]),
    );
    assert.deepEqual(status, {
      'plain proxy CPU/request vs minimal': ['met', 1.1],
      'full chain RPS vs fast-gateway': ['met', 1.65],
      'full chain RPS vs nginx': ['met', 0.33],
      'cache hit RPS vs nginx': ['missed', 0.9],
      '10,000 routes RPS vs #4': ['met', 0.98],
      '10,000 routes CPU/request vs #4': ['missed', 1.091],
      '10,000 routes RSS': ['met', 140],
      'metrics + access log RPS vs #4': ['not run', NaN],
      'p99 added latency at 50% of max': ['missed', 1.2],
    });

    const partial = evaluateGoals(
      summarize(defs(['direct', 'portico', 'portico-full']), [run('direct'), run('portico'), run('portico-full')]),
      undefined,
    );
    for (const g of partial) assert.equal(g.status, 'not run', g.what);
    assert.match(partial.find((g) => g.what === 'full chain RPS vs fast-gateway')!.note!, /needs fast-gateway/);
  });

  test('ratio targets also carry the ratio rep by rep (min / median / max); the status stays the ratio of the medians', () => {
    const runs = [
      run('nginx', { rep: 1, rps: 10000 }),
      run('portico-cached', { rep: 1, rps: 9000 }),
      run('nginx', { rep: 2, rps: 10000 }),
      run('portico-cached', { rep: 2, rps: 12000 }),
      run('nginx', { rep: 3, rps: 20000 }),
      run('portico-cached', { rep: 3, rps: 10000 }),
    ];
    const rows = summarize(defs(['nginx', 'portico-cached']), runs);
    const g = evaluateGoals(rows, undefined, runs).find((x) => x.what === 'cache hit RPS vs nginx')!;
    assert.equal(g.value, 1.0);
    assert.equal(g.status, 'met');
    assert.deepEqual(g.perRep, { min: 0.5, median: 0.9, max: 1.2 });
    assert.match(formatGoals([g]), /cache hit RPS vs nginx +1\.00× +≥ 1\.00× +met +0\.50 \/ 0\.90 \/ 1\.20/);
  });

  test("the latency pass prints every target with its added p99, and the machine's own stalls", () => {
    const point = (p99Us: number) => ({ p50Us: 100, p99Us, errors: 0, non2xx: 0 });
    const text = formatLatency(
      {
        rate: 2500,
        direct: point(400),
        portico: point(1600),
        peers: { minimal: point(1400), nginx: point(500) },
        addedP99Us: 1200,
        hiccups: [{ cpu: 0, seconds: 3, maxMs: 4.5, over1ms: 6, stalledMs: 16 }],
      },
      3,
      10,
    );
    assert.match(text, /direct +p50 0\.10 ms +p99 0\.40 ms\n/);
    assert.match(text, /minimal +p50 0\.10 ms +p99 1\.40 ms +added p99 1\.00 ms/);
    assert.match(text, /nginx +p50 0\.10 ms +p99 0\.50 ms +added p99 0\.10 ms/);
    assert.match(text, /portico +p50 0\.10 ms +p99 1\.60 ms +added p99 1\.20 ms/);
    assert.match(text, /spinning alone on CPU 0 for 3 s stalled 6× over 1 ms \(longest 4\.5 ms\)/);
  });

  test('a scenario that served no 2xx does not count as measured', () => {
    const rows: Row[] = summarize(defs(['portico-cached', 'nginx']), [
      run('portico-cached', { ok: 0, non2xx: 1000 }),
      run('nginx'),
    ]);
    assert.equal(evaluateGoals(rows, undefined).find((g) => g.what === 'cache hit RPS vs nginx')!.status, 'not run');
  });

  test('feature costs are quoted against their own baseline row', () => {
    const rows = summarize(defs(['portico', 'portico-jwt', 'portico-throttle', 'portico-throttle-redis']), [
      run('portico', { rps: 1000, cpuUs: 100 }),
      run('portico-jwt', { rps: 500, cpuUs: 150 }),
      run('portico-throttle', { rps: 800 }),
      run('portico-throttle-redis', { rps: 400 }),
    ]);
    const c = Object.fromEntries(costs(rows).map((x) => [x.scenario, [x.against, x.rpsRatio, x.cpuOverhead]]));
    assert.deepEqual(c['portico-jwt'], ['portico', 0.5, 0.5]);
    assert.deepEqual(c['portico-throttle-redis'], ['portico-throttle', 0.5, 0]);
  });
});

describe('bench: --compare', () => {
  const co = { short: 'abc1234', root: '/tmp/portico-old' };

  test('the other checkout gets this node_modules when every package it lists is listed here with the same range', () => {
    const mine = {
      dependencies: { undici: '^7.30.2', zod: '^4.1.12' },
      devDependencies: { typescript: '~5.9.3', prettier: '^3.10.2' },
    };
    assert.deepEqual(
      depsCompatible({ dependencies: { undici: '^7.30.2' }, devDependencies: { typescript: '~5.9.3' } }, mine),
      { ok: true },
    );
    assert.deepEqual(depsCompatible({ dependencies: { undici: '^7.20.0' } }, mine), {
      ok: false,
      why: 'undici ^7.20.0 (here: ^7.30.2)',
    });
    assert.deepEqual(depsCompatible({ devDependencies: { mocha: '^10.0.0' } }, mine), {
      ok: false,
      why: 'mocha ^10.0.0 (here: absent)',
    });
  });

  test('each Portico scenario gets a twin right after it; twins swap places every other rep', () => {
    const defs = withTwins(
      ['nginx', 'portico', 'portico-full'].map((n) => scenario(n)!),
      co,
    );
    assert.deepEqual(
      defs.map((d) => [d.name, d.num, targetKey(d)]),
      [
        ['nginx', 2, 'nginx'],
        ['portico', 4, 'portico-plain'],
        ['portico@abc1234', undefined, 'portico-plain@abc1234'],
        ['portico-full', 5, 'portico-full'],
        ['portico-full@abc1234', undefined, 'portico-full@abc1234'],
      ],
    );
    assert.deepEqual(
      repOrder(defs, 1).map((d) => d.name),
      ['nginx', 'portico', 'portico@abc1234', 'portico-full', 'portico-full@abc1234'],
    );
    assert.deepEqual(
      repOrder(defs, 2).map((d) => d.name),
      ['nginx', 'portico@abc1234', 'portico', 'portico-full@abc1234', 'portico-full'],
    );
    assert.deepEqual(
      withTwins([scenario('portico')!], undefined).map((d) => d.name),
      ['portico'],
    );
  });

  test('new/old per scenario: ratio of the medians, per-rep ratios, and "within noise" when those ratios straddle 1 or the gap is inside their spread', () => {
    const defs = withTwins([scenario('portico')!, scenario('portico-full')!, scenario('portico-observed')!], co);
    const reps = (name: string, rps: number[], cpuUs = 100) =>
      rps.map((x, i) => run(name, { rps: x, rep: i + 1, cpuUs }));
    const runs = [
      ...reps('portico', [1000, 1100, 900]),
      ...reps('portico@abc1234', [1050, 1000, 950], 80),
      // Apart, and further apart than their own spread: a real difference.
      ...reps('portico-full', [500, 510, 490]),
      ...reps('portico-full@abc1234', [700, 710, 690]),
      // A rep slowed by other work for both widens both ranges until they overlap; the per-rep ratios still say 0.7.
      ...reps('portico-observed', [700, 210, 710]),
      ...reps('portico-observed@abc1234', [1000, 300, 1010]),
    ];
    const [plain, full, slowRep] = compareTwins(defs, runs);
    assert.equal(slowRep!.rps.old.min <= slowRep!.rps.now.max, true);
    assert.equal(slowRep!.rps.withinNoise, false);
    assert.equal(plain!.against, 'portico@abc1234');
    assert.equal(plain!.rps.ratio, 1);
    assert.deepEqual(plain!.rps.now, { median: 1000, min: 900, max: 1100 });
    assert.deepEqual(plain!.rps.perRep, { median: 1000 / 1050, min: 900 / 950, max: 1.1 });
    assert.equal(plain!.rps.withinNoise, true);
    // CPU per request 100 against 80 in every rep: no overlap, no spread, a real difference even though RPS overlaps.
    assert.equal(plain!.cpu!.ratio, 1.25);
    assert.equal(plain!.cpu!.withinNoise, false);
    assert.equal(plain!.withinNoise, false);
    assert.equal(full!.rps.withinNoise, false);
    const text = formatComparisons([plain!, full!]);
    assert.match(
      text,
      /^portico new\/old \(portico@abc1234\): NOT within noise\n {2}RPS {9}1\.00× \(per rep 0\.95–1\.10\); median \(min–max\) new 1000 \(900–1100\), old 1000 \(950–1050\): within noise\n {2}CPU µs\/req {2}1\.25× \(per rep 1\.25–1\.25\); median \(min–max\) new 100 \(100–100\), old 80 \(80–80\): NOT within noise$/m,
    );
    assert.match(text, /^ {2}RPS {9}0\.71× .*: NOT within noise$/m);
  });
});

describe('bench: load generators against a real upstream', () => {
  let upstream: TestUpstream;
  let scratch: string;
  const seen: { method: string; bytes: number; key: string | undefined }[] = [];
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'portico-bench-load-'));
    upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        seen.push({ method: req.method!, bytes, key: req.headers['x-api-key'] as string | undefined });
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-length': 2 });
        res.end('ok');
      });
    });
  });
  after(async () => {
    await upstream.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const post: () => RequestSpec = () => ({
    url: `${upstream.url}/upload`,
    method: 'POST',
    headers: { 'x-api-key': 'k-123' },
    bodyBytes: 4096,
  });

  test('wrk: the Lua script sends the method, headers and body; its result line is parsed (non-2xx counted apart)', async (t) => {
    const script = wrkScript(post());
    assert.match(script, /wrk.method = "POST"/);
    assert.match(script, /wrk.headers\["x-api-key"\] = "k-123"/);
    assert.match(script, /wrk.body = string.rep\("x", 4096\)/);
    assert.deepEqual(
      parseWrkOutput(
        'Running 1s test\nWRKJSON {"requests":50,"durationUs":2000000,"connect":1,"read":2,"write":0,"status":5,"timeout":3,"p50":420,"p99":1800}\n',
      ),
      { requests: 50, seconds: 2, rps: 25, p50Us: 420, p99Us: 1800, ok: 45, non2xx: 5, errors: 6, timeouts: 3 },
    );
    assert.throws(() => parseWrkOutput('unable to connect'), /wrk printed no result line/);
    // wrk is an optional peer (bench/setup.sh installs it), not a CI requirement: the live part needs it.
    if (!findBinary('wrk')) {
      t.diagnostic('wrk is not installed (bash bench/setup.sh): the live wrk run was not made');
      return;
    }
    seen.length = 0;
    const r = await runLoad('wrk', post(), { connections: 2, seconds: 1, cpu: undefined, scratchDir: scratch });
    assert.ok(r.requests > 0 && r.ok === r.requests, JSON.stringify(r));
    assert.ok(seen.length >= r.requests, 'the upstream saw every request wrk counted');
    assert.ok(seen.every((s) => s.method === 'POST' && s.bytes === 4096 && s.key === 'k-123'));
    const missing = await runLoad(
      'wrk',
      { url: `${upstream.url}/missing`, method: 'GET', headers: {} },
      { connections: 1, seconds: 1, cpu: undefined, scratchDir: scratch },
    );
    assert.equal(missing.non2xx, missing.requests);
  });

  test('autocannon: the same request, the same counts', async () => {
    seen.length = 0;
    const r = await runLoad('autocannon', post(), { connections: 2, seconds: 1, cpu: undefined, scratchDir: scratch });
    assert.ok(r.requests > 0 && r.ok === r.requests, JSON.stringify(r));
    assert.ok(seen.length >= r.requests);
    assert.ok(seen.every((s) => s.method === 'POST' && s.bytes === 4096 && s.key === 'k-123'));
  });

  test('fixed-rate: sends exactly rate × duration counted requests (after priming and a ramp), with the headers it was given through the environment', async () => {
    seen.length = 0;
    const r = await runFixedRate(post(), 200, { connections: 4, seconds: 1, cpu: undefined, scratchDir: scratch });
    assert.equal(r.sent, 200);
    assert.equal(r.ok, 200);
    assert.equal(r.errors, 0);
    assert.equal(
      seen.length,
      2 * 4 + 25 + 200,
      'two rounds over the 4 connections, a 0.25 s ramp to 200 rps (25), then 200 counted',
    );
    assert.ok(seen.every((s) => s.method === 'POST' && s.bytes === 4096 && s.key === 'k-123'));
    assert.ok(r.p50Us > 0 && r.p99Us >= r.p50Us);
  });

  test('hiccup: spins for the time it is given and reports the gaps it saw', async () => {
    const t0 = Date.now();
    const h = await runHiccup(undefined, 0.3);
    assert.ok(Date.now() - t0 >= 300);
    assert.equal(h.seconds, 0.3);
    assert.ok(h.maxMs > 0 && h.maxMs < 300, JSON.stringify(h));
    assert.ok(h.over1ms >= 0 && h.stalledMs >= 0);
  });
});

describe('bench: process accounting', () => {
  test('CPU and RSS cover a process and its children', async () => {
    // A parent that forks a child which burns CPU: the tree's CPU must exceed the parent's own.
    const child = spawn(
      process.execPath,
      [
        '-e',
        "require('child_process').spawn(process.execPath, ['-e', 'const t=Date.now(); while (Date.now()-t<400); setInterval(()=>{}, 1000)'], {stdio:'inherit'}); setInterval(()=>{}, 1000)",
      ],
      { stdio: 'ignore' },
    );
    try {
      let tree: number[] = [];
      for (let i = 0; i < 100 && tree.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        tree = processTree(child.pid!);
      }
      assert.equal(tree.length, 2, 'the parent and its child');
      await new Promise((r) => setTimeout(r, 600));
      const own = Number(
        readFileSync(`/proc/${child.pid}/stat`, 'utf8')
          .split(') ')[1]!
          .split(' ')
          .slice(11, 13)
          .reduce((a, b) => a + Number(b), 0),
      );
      assert.ok(treeCpuUs(child.pid)! > own * 10_000, "the child's CPU is counted");
      assert.ok(treeRssBytes(child.pid)! > 2 * 20 * 1024 * 1024, 'two node processes, each well over 20 MB');
      assert.equal(treeCpuUs(undefined), null);
    } finally {
      for (const pid of processTree(child.pid!).reverse()) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('bench: machine noise', () => {
  test("a reaped child's CPU counts as this process's (wrk's CPU per rep); the machine's CPU only grows", async () => {
    const before = selfAndReapedCpuUs()!;
    const m0 = machineCpuUs()!;
    // A child that burns 200 ms of its own CPU time (not wall time), says how much, and exits.
    const code =
      'while (process.cpuUsage().user < 200000); const u = process.cpuUsage(); console.log(u.user + u.system)';
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise((r) => child.once('close', r));
    const childUs = Number(out.trim());
    assert.ok(childUs >= 200_000, out);
    // /proc counts in 10 ms ticks: allow two of them.
    assert.ok(selfAndReapedCpuUs()! - before >= childUs - 20_000, `${selfAndReapedCpuUs()! - before} < ${childUs}`);
    const m1 = machineCpuUs()!;
    assert.ok(m1.busy - m0.busy >= childUs - 20_000 && m1.total > m0.total);
  });

  test('a warning when other work used more than 10% of the CPU in a median rep', () => {
    assert.equal(
      noiseWarning([run('a', { otherCpuPct: 3 }), run('b', { otherCpuPct: 40 }), run('c', { otherCpuPct: 8 })]),
      undefined,
    );
    assert.match(
      noiseWarning([run('a', { otherCpuPct: 30 }), run('b', { otherCpuPct: 55 }), run('c', { otherCpuPct: 8 })])!,
      /other work used 30% .* \(max 55%\)/,
    );
    assert.equal(noiseWarning([run('a', { otherCpuPct: null })]), undefined);
  });

  test('a warning when the hypervisor stole more than 5% of the CPU time in any run, naming the reps', () => {
    assert.equal(noiseWarning([run('a', { stealPct: 1 }), run('b', { stealPct: 4.9 })]), undefined);
    const w = noiseWarning([
      run('a', { stealPct: 0.5 }),
      run('b', { stealPct: 16.3, rep: 2 }),
      run('c', { stealPct: 9, rep: 2 }),
    ]);
    assert.match(w!, /steal\) in 2 of 3 measured runs \(rep 2; max 16%\)/);
  });
});

describe('bench: child processes', () => {
  test('a server that prints nothing is ready when its port accepts; `cpu` pins it with taskset', async (t) => {
    const port = await freePort();
    // Binds only after 300 ms, as nginx and HAProxy say nothing when they are up.
    const code = `setTimeout(() => require('node:http').createServer((q, s) => s.end('up')).listen(${port}, '127.0.0.1'), 300)`;
    const canPin = choosePlacement(true).pinned;
    const server = await spawnServer('late binder', [process.execPath, '-e', code], canPin ? '1' : undefined, { port });
    try {
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'up');
      if (!canPin) return t.diagnostic('taskset or CPUs 0 and 1 are missing: the pinning half was not checked');
      assert.match(readFileSync(`/proc/${server.pid}/status`, 'utf8'), /^Cpus_allowed_list:\s+1$/m);
    } finally {
      await server.stop();
    }
  });

  test('a server that exits before it is ready fails with its last output', async () => {
    await assert.rejects(
      spawnServer(
        'quitter',
        [process.execPath, '-e', "console.log('config error at line 3'); process.exit(1)"],
        undefined,
        () => undefined,
      ),
      /quitter exited \(code 1\) before it was ready; its last output:\nconfig error at line 3/,
    );
  });
});

describe('bench: the CLI', () => {
  test('bad flags exit 2 with what is wrong', () => {
    for (const [args, msg] of [
      [['--only', 'nope'], /unknown scenario "nope"/],
      [['--duration', '0'], /--duration must be a positive number, got "0"/],
      [['--loadgen', 'ab'], /--loadgen must be wrk or autocannon, got "ab"/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['--compare', 'no-such-ref-xyz'], /--compare: "no-such-ref-xyz" is not a commit/],
      [['--compare', 'HEAD', '--only', 'direct'], /--compare: no Portico scenario is selected/],
    ] as const) {
      const r = runBench([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, msg);
    }
  });

  test('a short run: the table is numbered as the issue, the key and the 1 MB body go through, the JSON is written', async () => {
    const r = await runBenchAsync([
      '--only',
      'direct,portico-full,portico-post-1mb,direct-post-1mb',
      '--duration',
      '1',
      '--repeat',
      '1',
      '--warmup',
      '0',
      '--loadgen',
      'autocannon',
      '--no-latency',
      '--no-pin',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(
      lines.find((l) => l.startsWith('#'))!,
      /^#\s+scenario\s+RPS\s+p50 ms\s+p99 ms\s+cpu µs\/req\s+RSS MB\s+backend µs\/req\s+non-2xx\s+errors\s+vs direct\s+vs nginx$/,
    );
    assert.ok(lines.some((l) => /^1\s+direct\s+\d+/.test(l)));
    assert.ok(lines.some((l) => /^5\s+portico-full\s+\d+/.test(l)));
    assert.ok(lines.some((l) => /^10\s+portico-post-1mb\s+\d+/.test(l)));
    assert.match(r.stdout, /full chain RPS vs nginx\s+-\s+≥ 0.30×\s+not run \(needs nginx\)/);
    const file = /results written to (\S+\.json)/.exec(r.stderr)?.[1];
    assert.ok(file && existsSync(file), r.stderr);
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as {
        rows: Row[];
        options: { loadGenerator: string };
        goals: unknown[];
      };
      assert.equal(json.options.loadGenerator, 'autocannon');
      for (const row of json.rows) assert.ok(row.ok > 0 && row.non2xx === 0, `${row.scenario}: ${JSON.stringify(row)}`);
      assert.equal(json.goals.length, 9);
      assert.ok(json.rows.find((x) => x.scenario === 'portico-full')!.cpuUs! > 0);
      assert.doesNotMatch(
        readFileSync(file, 'utf8') + r.stdout + r.stderr,
        /x-api-key|Bearer /i,
        'no credential is printed or written',
      );
    } finally {
      await rm(file, { force: true });
    }
  });
});

const BENCH = ['--import', 'tsx', 'bench/run.ts'];

function runBench(args: string[]) {
  const r = spawnSync(process.execPath, [...BENCH, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runBenchAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...BENCH, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
