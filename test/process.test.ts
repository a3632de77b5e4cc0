import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli, spawnCli } from './helpers/cli.js';
import { startUpstream } from './helpers/gateway.js';

const config = (body: string, upstream = 'http://127.0.0.1:9') => `version: 1
dataDir: ./data
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /body
        integration: { type: mock, body: '${body}' }
      - route: GET /slow
        integration: { type: http_proxy, uri: "${upstream}/slow" }
`;

async function startProcess(yaml: string) {
  const dir = await mkdtemp(join(tmpdir(), 'portico-proc-'));
  const file = join(dir, 'portico.yaml');
  await writeFile(file, yaml);
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
  const m = await proc.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*"portico started"/);
  return { dir, file, proc, url: m[1] as string };
}

describe('the portico process', () => {
  test('SIGHUP and `portico reload` reload the config; a rejected reload exits 1 and keeps serving', async (t) => {
    const p = await startProcess(config('one'));
    t.after(async () => {
      p.proc.kill('SIGKILL');
      await rm(p.dir, { recursive: true, force: true });
    });
    assert.equal(await (await fetch(`${p.url}/body`)).text(), 'one');

    await writeFile(p.file, config('two'));
    p.proc.kill('SIGHUP');
    await p.proc.waitFor(/"revision":2,"reason":"SIGHUP".*config reloaded/);
    assert.equal(await (await fetch(`${p.url}/body`)).text(), 'two');

    await writeFile(p.file, config('three'));
    const r = runCli(['reload', '-c', p.file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'reloaded: now at revision 3');
    assert.equal(await (await fetch(`${p.url}/body`)).text(), 'three');

    await writeFile(p.file, config('four').replace('GET /body', 'GRAB /body'));
    const bad = runCli(['reload', '-c', p.file]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /portico\.yaml:8:16 apis\[0\]\.routes\[0\]\.route: unknown method "GRAB"/);
    assert.equal(await (await fetch(`${p.url}/body`)).text(), 'three');

    const token = (await readFile(join(p.dir, 'data', 'admin.token'), 'utf8')).trim();
    assert.ok(
      !p.proc.stdout().includes(token) && !p.proc.stderr().includes(token),
      'the admin token must never be logged',
    );
  });

  test('`portico reload` with no running gateway says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portico-proc-'));
    try {
      const file = join(dir, 'portico.yaml');
      await writeFile(file, config('x'));
      const r = runCli(['reload', '-c', file]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no running gateway found: cannot read .*runtime\.json \(pass --admin URL\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM drains in-flight requests, then exits 0', async (t) => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let arrived = 0;
    const up = await startUpstream((_req, res) => {
      arrived++;
      void gate.then(() => res.end('finished'));
    });
    const p = await startProcess(config('x', up.url));
    t.after(async () => {
      p.proc.kill('SIGKILL');
      await up.close();
      await rm(p.dir, { recursive: true, force: true });
    });
    const inflight = Array.from({ length: 5 }, () =>
      fetch(`${p.url}/slow`).then(async (r) => [r.status, await r.text()]),
    );
    const deadline = Date.now() + 10000;
    while (arrived < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(arrived, 5);
    p.proc.kill('SIGTERM');
    await p.proc.waitFor(/"msg":"draining"/);
    // New connections are refused while draining.
    await assert.rejects(fetch(`${p.url}/body`, { headers: { connection: 'close' } }));
    release();
    assert.deepEqual(
      await Promise.all(inflight),
      Array.from({ length: 5 }, () => [200, 'finished']),
    );
    assert.equal(await p.proc.exited, 0);
  });
});
