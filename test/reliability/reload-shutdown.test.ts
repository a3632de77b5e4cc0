import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { spawnCli } from '../helpers/cli.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { FULL, recordFigure } from './results.js';

const RELOADS = FULL ? 100 : 10;
const CONNECTIONS = 64;
const POST_BYTES = FULL ? 1024 * 1024 : 64 * 1024;

const config = (upstream: string, revision: number) => `version: 1
admin: { enabled: false }
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

test(`${RELOADS} config reloads at ${CONNECTIONS} concurrent connections (GETs and ${POST_BYTES / 1024} KB POSTs): 0 requests lost`, async (t) => {
  const up = await startUpstream((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(JSON.stringify({ url: req.url, n })));
  });
  const tg = await startTestGateway(config(up.url, 0));
  const agent = new Agent({ connections: CONNECTIONS });
  t.after(async () => {
    await agent.close();
    await tg.close();
    await up.close();
  });
  const body = Buffer.alloc(POST_BYTES, 'p');
  let done = false;
  let ok = 0;
  const failures: string[] = [];
  const worker = async (i: number) => {
    while (!done) {
      const post = i % 4 === 0;
      const path = post ? `/upload/${i}` : i % 2 ? '/rev' : `/item/${i}`;
      try {
        const res = await request(`${tg.url}${path}`, { dispatcher: agent, method: post ? 'POST' : 'GET', body: post ? body : undefined });
        const text = await res.body.text();
        if (res.statusCode !== 200) failures.push(`${path} ${res.statusCode} ${text}`);
        else if (post && (JSON.parse(text) as { n: number }).n !== POST_BYTES) failures.push(`${path} upstream got a short body`);
        else ok++;
      } catch (err) {
        failures.push(`${path} ${(err as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: CONNECTIONS }, (_, i) => worker(i));
  for (let rev = 1; rev <= RELOADS; rev++) {
    await tg.write(config(up.url, rev));
    const r = await tg.gw.reload('test');
    assert.ok(r.ok && r.changed, r.error);
    await new Promise((r) => setTimeout(r, 5));
  }
  done = true;
  await Promise.all(workers);
  recordFigure({
    id: 'reload-lost',
    figure: `Requests lost over ${RELOADS} reloads at ${CONNECTIONS} connections (worker restarts: with the cluster issue)`,
    value: `${failures.length} of ${ok + failures.length}`,
    target: '0',
    test: 'test/reliability/reload-shutdown.test.ts › config reloads at 64 concurrent connections',
  });
  assert.deepEqual(failures.slice(0, 10), []);
  assert.ok(ok >= RELOADS * 4, `only ${ok} requests ran during the reloads`);
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
server: { timeouts: { drainMs: 20000 } }
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${up.url}/{proxy}", timeoutMs: 20000 }
`,
  );
  const proc = spawnCli(['start', '-c', file, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--no-watch']);
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
