// Issue #18's and #19's additions to the bench harness: the configs of the native peers are valid for the binaries
// themselves (nginx -t, caddy adapt --validate; skipped with a notice when a binary is missing), the raw-net ceiling
// proxies a real request, wrk sends a new TLS connection per request when asked, the HTTPS rows divide by nginx
// over TLS, and #18's targets come out met / missed / not run. Speed is never asserted.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BenchCert, makeBenchCert } from '../../bench/lib/cert.js';
import { evaluateGoals18 } from '../../bench/lib/goals18.js';
import { runLoad } from '../../bench/lib/load.js';
import { caddyfile, GREETING_BODY, nginxBackendConf, nginxProxyConf } from '../../bench/lib/peers.js';
import { freePort } from '../../bench/lib/proc.js';
import { type LatencyAtLoad, type Row, summarize } from '../../bench/lib/report.js';
import { baselines, scenario, SCENARIOS, selectScenarios } from '../../bench/lib/scenarios.js';
import { startUpstream, type TestUpstream } from '../helpers/gateway.js';
import { requireBinary } from '../helpers/require-binary.js';

let dir: string;
let cert: BenchCert;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portico-bench-peers-'));
  cert = await makeBenchCert(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('bench peers: generated configs pass the binaries own checks', () => {
  test('nginx: the return-200 backend and the proxy with its TLS listener pass `nginx -t`', async (t) => {
    const nginx = requireBinary(t, 'nginx', 'apt-get install nginx-light');
    if (!nginx) return;
    const confs = {
      backend: nginxBackendConf(join(dir, 'nb'), 18080, 18081),
      proxy: nginxProxyConf({
        dir: join(dir, 'np'),
        port: 18082,
        backendPort: 18080,
        tls: { port: 18443, cert: cert.certFile, key: cert.keyFile },
      }),
    };
    for (const [name, conf] of Object.entries(confs)) {
      const d = join(dir, name === 'backend' ? 'nb' : 'np');
      await mkdir(join(d, 'tmp'), { recursive: true });
      await writeFile(join(d, 'nginx.conf'), conf);
      const r: SpawnSyncReturns<string> = spawnSync(nginx, ['-t', '-p', d, '-c', join(d, 'nginx.conf')], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    }
    assert.match(confs.backend, /location = \/api\/greeting \{\n\s+default_type application\/json;\n\s+return 200 '/);
    assert.match(confs.backend, /upstream upload \{ server 127\.0\.0\.1:18081; keepalive 64;/);
    assert.match(confs.proxy, /listen 127\.0\.0\.1:18443 ssl backlog=4096;\n\s+ssl_certificate \S+bench-tls\.pem;/);
    assert.match(confs.proxy, /ssl_protocols TLSv1\.2 TLSv1\.3;/);
    assert.doesNotMatch(nginxProxyConf({ dir: 'd', port: 1, backendPort: 2 }), /ssl/);
  });

  test('caddy: the Caddyfile adapts and validates; reverse_proxy to the backend with keep-alive, admin off', async (t) => {
    const caddy = requireBinary(t, 'caddy', 'apt-get install caddy');
    if (!caddy) return;
    const file = join(dir, 'Caddyfile');
    await writeFile(file, caddyfile({ port: 18090, backendPort: 18080 }));
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir };
    const r = spawnSync(caddy, ['adapt', '--config', file, '--adapter', 'caddyfile', '--validate'], {
      encoding: 'utf8',
      env,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warn/i, 'no adapter warning (a mis-formatted Caddyfile warns)');
    const json = JSON.parse(r.stdout) as {
      admin: { disabled: boolean };
      apps: { http: { servers: Record<string, { listen: string[]; automatic_https: { disable: boolean } }> } };
    };
    assert.equal(json.admin.disabled, true);
    const [server] = Object.values(json.apps.http.servers);
    assert.deepEqual(server!.listen, ['127.0.0.1:18090']);
    assert.equal(server!.automatic_https.disable, true);
    const text = r.stdout;
    assert.match(text, /"handler":"reverse_proxy"/);
    assert.match(text, /"upstreams":\[\{"dial":"127\.0\.0\.1:18080"\}\]/);
    assert.match(text, /"keep_alive":\{[^}]*"max_idle_conns":64/);
  });
});

describe('bench peers: the raw-net ceiling and wrk over TLS against real servers', () => {
  let upstream: TestUpstream;
  before(async () => {
    upstream = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(GREETING_BODY) });
      res.end(`${GREETING_BODY}`);
      void req;
    });
  });
  after(() => upstream.close());

  test('raw-net proxies GET /production/api/greeting to the upstream as /api/greeting, keep-alive', async () => {
    const port = await freePort();
    const script = fileURLToPath(new URL('../../bench/peers/raw-net-ceiling.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, String(port), new URL(upstream.url).port], { stdio: 'ignore' });
    try {
      let res: Response | undefined;
      for (let i = 0; i < 100 && !res; i++) {
        res = await fetch(`http://127.0.0.1:${port}/production/api/greeting`).catch(async () => {
          await new Promise((r) => setTimeout(r, 50));
          return undefined;
        });
      }
      assert.equal(res!.status, 200);
      assert.equal(await res!.text(), GREETING_BODY);
      const again = await fetch(`http://127.0.0.1:${port}/api/greeting`);
      assert.equal(await again.text(), GREETING_BODY);
      assert.deepEqual(
        upstream.requests.map((r) => r.url),
        ['/api/greeting', '/api/greeting'],
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('wrk over https: keep-alive reuses connections; `connection: close` makes a TLS handshake per request', async (t) => {
    if (!requireBinary(t, 'wrk', 'apt-get install wrk')) return;
    let handshakes = 0;
    let requests = 0;
    const server = createHttpsServer(
      { cert: await readFile(cert.certFile), key: await readFile(cert.keyFile) },
      (req, res) => {
        requests++;
        res.writeHead(200, { 'content-length': 2 });
        res.end('ok');
        void req;
      },
    );
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    const opts = { connections: 2, seconds: 1, cpu: undefined, scratchDir: dir };
    try {
      const keep = await runLoad('wrk', { url, method: 'GET', headers: {} }, opts);
      assert.ok(keep.ok > 10 && keep.errors === 0, JSON.stringify(keep));
      assert.ok(handshakes <= 4, `keep-alive: ${handshakes} handshakes for ${requests} requests`);
      handshakes = 0;
      requests = 0;
      const close = await runLoad('wrk', { url, method: 'GET', headers: { connection: 'close' } }, opts);
      assert.ok(close.ok > 5, JSON.stringify(close));
      // Every request came on its own connection (wrk may open one more than it completes).
      assert.ok(handshakes >= requests && requests >= close.ok, `${handshakes} handshakes, ${requests} requests`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('bench peers: rows and #18 targets', () => {
  test('caddy and raw-net run on every full run (caddy skipped with a notice when missing); HTTPS rows divide by nginx over TLS', () => {
    const all = selectScenarios(undefined, false, () => true).selected.map((s) => s.name);
    for (const name of ['caddy', 'raw-net', 'portico-10-routes', 'nginx-https', 'portico-https'])
      assert.ok(all.includes(name), name);
    const none = selectScenarios(undefined, false, () => false);
    assert.ok(none.skipped.some((s) => s.name === 'caddy'));
    assert.ok(
      none.selected.some((s) => s.name === 'raw-net'),
      'raw-net needs only node',
    );
    assert.deepEqual(baselines(scenario('portico-https')!), { direct: 'direct', nginx: 'nginx-https' });
    assert.deepEqual(baselines(scenario('portico-https-newconn')!), { direct: 'direct', nginx: 'nginx-https-newconn' });
    assert.equal(scenario('portico-https-newconn')!.newConnection, true);
    const rows = summarize(
      SCENARIOS.filter((s) => ['nginx', 'nginx-https', 'portico-https'].includes(s.name)),
      [run('nginx', 1000), run('nginx-https', 800), run('portico-https', 400)],
    );
    assert.equal(rows.find((r) => r.scenario === 'portico-https')!.vsNginx, 0.5);
  });

  test('#18 targets: met, missed, and not run for rows that are missing, from the medians', () => {
    const rows: Row[] = summarize(
      SCENARIOS.filter((s) =>
        [
          'nginx',
          'caddy',
          'portico',
          'portico-full',
          'portico-cached',
          'portico-10k-routes',
          'portico-10-routes',
        ].includes(s.name),
      ),
      [
        run('nginx', 1000),
        run('caddy', 250),
        run('portico', 700),
        run('portico-full', 400),
        run('portico-cached', 1100),
        run('portico-10k-routes', 960),
        run('portico-10-routes', 1000),
      ],
    );
    const point = (p99Us: number) => ({ p50Us: 100, p99Us, errors: 0, non2xx: 0 });
    const latency: LatencyAtLoad = {
      rate: 350,
      direct: point(1000),
      portico: point(3500),
      peers: { nginx: point(2000) },
      addedP99Us: 2500,
    };
    const byWhat = Object.fromEntries(
      evaluateGoals18(rows, latency).map((g) => [g.what.replace(/ \(\d+ rps\)/, ''), g]),
    );
    assert.equal(byWhat['plain proxy RPS vs nginx']!.status, 'met');
    assert.equal(byWhat['plain proxy RPS vs Caddy']!.status, 'met');
    assert.equal(byWhat['plain proxy RPS vs Caddy']!.value, 2.8);
    assert.equal(byWhat['full chain RPS vs nginx']!.status, 'missed');
    assert.equal(byWhat['cache hit RPS vs nginx proxying']!.status, 'met');
    assert.equal(byWhat['10,000 routes RPS vs 10 routes']!.status, 'met');
    assert.equal(byWhat['added p99 at 50% of max vs nginx added p99']!.value, 2.5);
    assert.equal(byWhat['added p99 at 50% of max vs nginx added p99']!.status, 'missed');
    assert.equal(byWhat['--workers 2 (unpinned) RPS vs one worker']!.status, 'not run');
    assert.match(byWhat['--workers 2 (unpinned) RPS vs one worker']!.note!, /needs portico-workers2/);
    // Without the latency pass, or when nginx added nothing over direct, there is no p99 ratio: not run, never met.
    assert.equal(evaluateGoals18(rows, undefined).find((g) => g.what.startsWith('added p99'))!.status, 'not run');
    const flat = { ...latency, peers: { nginx: point(900) } };
    assert.match(evaluateGoals18(rows, flat).find((g) => g.what.startsWith('added p99'))!.note!, /at or under direct/);
  });
});

function run(scenarioName: string, rps: number) {
  return {
    scenario: scenarioName,
    rep: 1,
    rps,
    p50Us: 500,
    p99Us: 2000,
    requests: rps,
    ok: rps,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    cpuUs: 100,
    backendCpuUs: 20,
    rssBytes: 1,
  };
}
