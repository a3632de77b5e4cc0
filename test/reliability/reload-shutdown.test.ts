import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { get as httpGet, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { Agent, type Dispatcher, Pool, request } from 'undici';
import { spawnCli } from '../helpers/cli.js';
import { startTestGateway, startUpstream, type TestUpstream } from '../helpers/gateway.js';
import { ADMIN_TOKEN, childrenOf, getFresh, sharedSecret, startNode, stopNode, within } from '../cluster/harness.js';
import { FULL, recordFigure } from './results.js';

const RELOADS = FULL ? 100 : 10;
const CONNECTIONS = 64;
const POST_BYTES = FULL ? 1024 * 1024 : 64 * 1024;

const config = (upstream: string, revision: number, admin = 'admin: { enabled: false }') => `version: 1
${admin}
server: { timeouts: { drainMs: 5000 } }
apis:
  - name: svc
    type: http
    stages: { $default: { variables: { rev: "r${revision}" } } }
    routes:
      - route: GET /rev
        integration: { type: mock, body: '{"rev":${revision}}' }
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${upstream}/\${stageVariables.rev}/{proxy}" }
`;

/** An upstream answering with the path it was asked for and the body length it received. */
function countingUpstream(): Promise<TestUpstream> {
  return startUpstream((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(JSON.stringify({ url: req.url, n })));
  });
}

interface MixedLoad {
  /** Requests answered 200 (POSTs: with the whole body seen upstream). */
  ok(): number;
  /** Everything else, with the time it happened (ms since the epoch). */
  failures: { at: number; what: string }[];
  /** Stops the loops and waits for the requests in flight. */
  stop(): Promise<void>;
}

/**
 * `CONNECTIONS` keep-alive loops against `url`: a quarter POST `POST_BYTES` through the proxy, the
 * rest alternate a mock route and a proxied GET. A request counts as lost unless it gets its 200.
 */
function mixedLoad(url: string, agent: Dispatcher): MixedLoad {
  const body = Buffer.alloc(POST_BYTES, 'p');
  let done = false;
  let ok = 0;
  const failures: { at: number; what: string }[] = [];
  const loop = async (i: number) => {
    while (!done) {
      const post = i % 4 === 0;
      const path = post ? `/upload/${i}` : i % 2 ? '/rev' : `/item/${i}`;
      try {
        const res = await request(`${url}${path}`, {
          dispatcher: agent,
          method: post ? 'POST' : 'GET',
          body: post ? body : undefined,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) failures.push({ at: Date.now(), what: `${path} ${res.statusCode} ${text}` });
        else if (post && (JSON.parse(text) as { n: number }).n !== POST_BYTES)
          failures.push({ at: Date.now(), what: `${path} upstream got a short body` });
        else ok++;
      } catch (err) {
        failures.push({
          at: Date.now(),
          what: `${path} ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`,
        });
        // Never spin: a client that fails at once must still let the event loop run.
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const loops = Array.from({ length: CONNECTIONS }, (_, i) => loop(i));
  return {
    ok: () => ok,
    failures,
    stop: async () => {
      done = true;
      await Promise.all(loops);
    },
  };
}

test(`${RELOADS} config reloads at ${CONNECTIONS} concurrent connections (GETs and ${POST_BYTES / 1024} KB POSTs): 0 requests lost`, async (t) => {
  const up = await countingUpstream();
  const tg = await startTestGateway(config(up.url, 0));
  const agent = new Agent({ connections: CONNECTIONS });
  t.after(async () => {
    await agent.close();
    await tg.close();
    await up.close();
  });
  const load = mixedLoad(tg.url, agent);
  for (let rev = 1; rev <= RELOADS; rev++) {
    await tg.write(config(up.url, rev));
    const r = await tg.gw.reload('test');
    assert.ok(r.ok && r.changed, r.error);
    await new Promise((r) => setTimeout(r, 5));
  }
  await load.stop();
  const failures = load.failures.map((f) => f.what);
  recordFigure({
    id: 'reload-lost',
    figure: `Requests lost over ${RELOADS} config reloads at ${CONNECTIONS} connections (one process)`,
    value: `${failures.length} of ${load.ok() + failures.length}`,
    target: '0',
    test: 'test/reliability/reload-shutdown.test.ts › config reloads at 64 concurrent connections',
  });
  assert.deepEqual(failures.slice(0, 10), []);
  assert.ok(load.ok() >= RELOADS * 4, `only ${load.ok()} requests ran during the reloads`);
});

/** One keep-alive connection: sends a request, resolves with the raw response once it is complete, or with how the socket ended. */
function keepAliveConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  let buf = '';
  let ended = '';
  let wake = () => {};
  socket.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    wake();
  });
  socket.on('error', (err: NodeJS.ErrnoException) => (ended ||= err.code ?? err.message));
  socket.on('close', () => {
    ended ||= 'closed';
    wake();
  });
  return {
    socket,
    async get(path: string): Promise<string> {
      buf = '';
      socket.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
      for (;;) {
        const head = buf.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? -1);
        if (head !== -1 && length >= 0 && buf.length >= head + 4 + length) return buf;
        if (ended) return `(no answer: ${ended})`;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

/** A gateway with one keep-alive connection that has had one answer and is idle now. */
async function idleKeepAlive(t: TestContext) {
  // Only the mock route is used: the proxy route's upstream is never asked.
  const tg = await startTestGateway(config('http://127.0.0.1:9', 1));
  t.after(() => tg.close());
  const c = keepAliveConnection(tg.port);
  t.after(() => c.socket.destroy());
  assert.match(await c.get('/rev'), /^HTTP\/1\.1 200 [\s\S]*\{"rev":1\}$/);
  return { gw: tg.gw, c };
}

test('regression: a worker leaving a rolling restart reset requests on its idle keep-alive connections (it now answers them, with Connection: close)', async (t) => {
  const { gw, c } = await idleKeepAlive(t);
  // The worker starts draining, and the client reuses its idle connection.
  const drained = gw.close({ handover: true });
  await new Promise((r) => setTimeout(r, 100));
  const second = await c.get('/rev');
  assert.match(second, /^HTTP\/1\.1 200 /, 'the request on the idle connection is answered');
  assert.match(second, /\r\nconnection: close\r\n/i, 'and told to go elsewhere for the next one');
  await drained;
});

test('the last process stopping (no handover) still closes idle keep-alive connections at once', async (t) => {
  const { gw, c } = await idleKeepAlive(t);
  await gw.close();
  assert.match(await c.get('/rev'), /^\(no answer/);
});

const RESTARTS = FULL ? 5 : 1;
const KILLS = FULL ? 3 : 1;

/** One GET on a connection of its own (the primary hands fresh connections round-robin); status and body, or undefined on a transport error. */
function getFreshText(url: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.setTimeout(15_000, () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * A POST to the admin API on a connection of its own, asked again after a transport error: a worker
 * leaving a rolling restart closes its admin listener and connections (the admin API is not the data
 * path the test counts). The status.
 */
async function adminPost(adminUrl: string, path: string): Promise<number> {
  for (let i = 0; ; i++) {
    const status = await new Promise<number>((resolve) => {
      const req = httpRequest(
        new URL(path, adminUrl),
        { method: 'POST', agent: false, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(0));
        },
      );
      req.on('error', () => resolve(0));
      req.end();
    });
    if (status !== 0 || i >= 5) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

test(`--workers 2: ${RELOADS} reloads, ${RESTARTS} rolling restarts and ${KILLS} SIGKILLed workers at ${CONNECTIONS} keep-alive connections: 0 requests lost to reloads and restarts`, async (t) => {
  const up = await countingUpstream();
  const yaml = (rev: number) => config(up.url, rev, `admin: { token: ${ADMIN_TOKEN} }`);
  const node = await startNode(yaml(0), sharedSecret(), ['--workers', '2'], /portico workers ready/);
  const primary = node.proc.child.pid as number;
  // A Pool, not an Agent: undici's Agent closes an origin's pool when its connection count drops to
  // zero, and requests queued on it then fail with "The client is closed" (seen with 1 MB POSTs).
  const agent = new Pool(node.url, { connections: CONNECTIONS });
  let stopped = false;
  let load: MixedLoad | undefined = undefined;
  t.after(async () => {
    await load?.stop(); // after a failed assertion the loops would run on
    await agent.close();
    if (!stopped) await stopNode(node);
    await up.close();
  });
  const out = () => node.proc.stdout() + node.proc.stderr();
  /** Until every worker serves revision `rev`: 6 fresh connections in a row (round-robin over both) see it. */
  const serving = (rev: number) =>
    within(20_000, async () => {
      const seen = await Promise.all(Array.from({ length: 6 }, () => getFreshText(`${node.url}/rev`)));
      return seen.every((r) => r?.status === 200 && r.body === `{"rev":${rev}}`);
    });
  /** Both workers alive and answering (fresh connections); their pids. */
  const twoWorkers = async () => {
    assert.ok(
      await within(
        30_000,
        async () =>
          childrenOf(primary).length === 2 &&
          (await Promise.all([1, 2, 3, 4].map(() => getFresh(`${node.url}/rev`, 15_000)))).every((s) => s === 200),
      ),
      `two workers serve: ${out()}`,
    );
    return childrenOf(primary);
  };
  await twoWorkers();

  load = mixedLoad(node.url, agent);
  /** Periods after a SIGKILL (until its replacement serves, plus 1 s): failures in them are the kill's. */
  const killWindows: [number, number][] = [];
  const restartAt = new Set(Array.from({ length: RESTARTS }, (_, i) => Math.round(((i + 0.5) * RELOADS) / RESTARTS)));
  const killAt = new Set(Array.from({ length: KILLS }, (_, i) => Math.round(((i + 1) * RELOADS) / (KILLS + 1))));
  let restarts = 0;
  let kills = 0;
  for (let rev = 1; rev <= RELOADS; rev++) {
    // Written as editors and deploy tools do (a new file renamed over the old): a worker reading the
    // file mid-write would reject a half file (and keep its config), which is not what is tested here.
    await writeFile(join(node.dir, 'portico.yaml.tmp'), yaml(rev));
    await rename(join(node.dir, 'portico.yaml.tmp'), join(node.dir, 'portico.yaml'));
    // Alternately SIGHUP to the primary and a reload through one worker's admin API (forwarded to the other).
    if (rev % 2) node.proc.kill('SIGHUP');
    else {
      assert.equal(await adminPost(node.adminUrl, '/reload'), 200);
    }
    assert.ok(await serving(rev), `every worker serves revision ${rev}: ${out().split('\n').slice(-20).join('\n')}`);
    if (restartAt.has(rev)) {
      // One at a time: a restart asked for while one runs joins it.
      assert.ok(
        await within(120_000, async () => count(out(), /rolling restart done/) === restarts),
        'the previous rolling restart finished',
      );
      // Rolling restart (POST /cluster/restart, what `portico restart` sends); the reloads go on meanwhile.
      assert.equal(await adminPost(node.adminUrl, '/cluster/restart'), 202);
      restarts++;
    }
    if (killAt.has(rev)) {
      // Not during a rolling restart: the kill's window must hold nothing else.
      assert.ok(
        await within(120_000, async () => count(out(), /rolling restart done/) === restarts),
        `rolling restarts finished: ${out()
          .split('\n')
          .filter((l) => /restart|died|error/.test(l))
          .join('\n')}`,
      );
      const [victim] = await twoWorkers();
      const died = count(out(), /worker died; starting another/);
      const from = Date.now();
      process.kill(victim as number, 'SIGKILL');
      kills++;
      assert.ok(
        await within(10_000, async () => count(out(), /worker died; starting another/) > died),
        'the primary saw the worker die',
      );
      assert.ok(!(await twoWorkers()).includes(victim as number), 'the killed worker was replaced');
      await new Promise((r) => setTimeout(r, 1000));
      killWindows.push([from, Date.now()]);
    }
  }
  assert.ok(
    await within(120_000, async () => count(out(), /rolling restart done/) === restarts),
    'rolling restarts finished',
  );
  await load.stop();
  stopped = true;
  assert.equal(await stopNode(node), 0, 'the primary drained its workers and exited cleanly');

  const inKill = (at: number) => killWindows.some(([a, b]) => at >= a && at <= b);
  const lost = load.failures.filter((f) => !inKill(f.at)).map((f) => f.what);
  const killed = load.failures.filter((f) => inKill(f.at)).map((f) => f.what);
  const total = load.ok() + load.failures.length;
  t.diagnostic(
    `${total} requests; lost to reloads and restarts: ${lost.length}; lost with SIGKILLed workers: ${killed.length} ${JSON.stringify(killed.slice(0, 5))}`,
  );
  recordFigure({
    id: 'reload-workers-lost',
    figure: `Requests lost over ${RELOADS} reloads + ${RESTARTS} rolling restarts (${RESTARTS * 2} worker replacements), --workers 2, ${CONNECTIONS} keep-alive connections; separately: in flight on ${KILLS} SIGKILLed workers`,
    value: `${lost.length} of ${total}; ${killed.length} lost with the killed workers`,
    target: '0 (a SIGKILLed worker loses what it had in flight: counted, not promised)',
    test: 'test/reliability/reload-shutdown.test.ts › --workers 2: reloads, rolling restarts and SIGKILLed workers',
    details: {
      requests: total,
      lost: lost.length,
      killedWindowFailures: killed.length,
      kills,
      restarts,
      reloads: RELOADS,
      sample: [...lost, ...killed].slice(0, 10),
    },
  });
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} requests lost to reloads and restarts`);
  assert.ok(load.ok() >= RELOADS * 4, `only ${load.ok()} requests ran`);
});

test('a reload sent while a rolling restart starts new workers reaches them (a worker ready after a reload catches up)', async (t) => {
  const up = await countingUpstream();
  const yaml = (rev: number) => config(up.url, rev, `admin: { token: ${ADMIN_TOKEN} }`);
  const node = await startNode(yaml(0), sharedSecret(), ['--workers', '2'], /portico workers ready/);
  t.after(async () => {
    await stopNode(node);
    await up.close();
  });
  // A rolling restart forks a new worker; the reload is sent while it is still starting.
  const r = await fetch(new URL('/cluster/restart', node.adminUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(r.status, 202);
  await writeFile(join(node.dir, 'portico.yaml.tmp'), yaml(1));
  await rename(join(node.dir, 'portico.yaml.tmp'), join(node.dir, 'portico.yaml'));
  node.proc.kill('SIGHUP');
  await node.proc.waitFor(/rolling restart done/, 60_000);
  const seen = await Promise.all(Array.from({ length: 6 }, () => getFreshText(`${node.url}/rev`)));
  assert.deepEqual(
    seen.map((x) => x?.body),
    Array.from({ length: 6 }, () => '{"rev":1}'),
    'both new workers serve the reloaded config',
  );
});

test('SIGTERM completes every in-flight request (64: held GETs and POSTs still uploading) and no connection is reset', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let arrived = 0;
  const up = await startUpstream((req, res) => {
    arrived++;
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => void gate.then(() => res.end(`done ${n}`)));
  });
  const dir = await mkdtemp(join(tmpdir(), 'portico-sigterm-'));
  const file = join(dir, 'portico.yaml');
  await writeFile(
    file,
    `version: 1
dataDir: ./data
server: { timeouts: { drainMs: 20000 }, limits: { requestBufferBytes: 0 } }
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${up.url}/{proxy}", timeoutMs: 20000 }
`,
  );
  const proc = spawnCli([
    'start',
    '-c',
    file,
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--no-watch',
  ]);
  t.after(async () => {
    proc.kill('SIGKILL');
    await up.close();
    await rm(dir, { recursive: true, force: true });
  });
  const url = (await proc.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*"portico started"/))[1] as string;
  const agent = new Agent({ connections: 64 });
  t.after(() => agent.close());
  const N = 64;
  const posts = 16;
  // POST bodies are streamed in two halves; the second half goes after SIGTERM.
  const halves: (() => void)[] = [];
  const inflight = Array.from({ length: N }, async (_, i) => {
    let method = 'GET';
    let body: Readable | undefined;
    if (i < posts) {
      method = 'POST';
      const second = new Promise<void>((r) => halves.push(r));
      body = Readable.from(
        (async function* () {
          yield Buffer.alloc(32 * 1024, 'a');
          await second;
          yield Buffer.alloc(32 * 1024, 'b');
        })(),
      );
    }
    try {
      const r = await request(`${url}/held/${i}`, { dispatcher: agent, method, body });
      return `${r.statusCode} ${await r.body.text()}`;
    } catch (err) {
      return `error ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
  });
  const deadline = Date.now() + 15000;
  while (arrived < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(arrived, N, 'every request reached the upstream before SIGTERM');
  proc.kill('SIGTERM');
  await proc.waitFor(/"msg":"draining"/);
  for (const h of halves) h();
  release();
  const results = await Promise.all(inflight);
  const completed = results.filter((r, i) => r === `200 done ${i < posts ? 64 * 1024 : 0}`).length;
  recordFigure({
    id: 'sigterm',
    figure: 'SIGTERM: in-flight requests completed / connections reset',
    value: `${completed}/${N} (${((100 * completed) / N).toFixed(0)} %) / ${results.filter((r) => r.startsWith('error')).length}`,
    target: '100 % / 0',
    test: 'test/reliability/reload-shutdown.test.ts › SIGTERM completes every in-flight request',
  });
  assert.deepEqual(
    results.filter((r, i) => r !== `200 done ${i < posts ? 64 * 1024 : 0}`),
    [],
  );
  assert.equal(await proc.exited, 0);
});
