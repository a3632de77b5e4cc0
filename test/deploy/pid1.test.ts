import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { startUpstream } from '../helpers/gateway.js';
import { findBinary } from '../helpers/require-binary.js';
import { last, readDockerfile } from './files.js';

/**
 * The image has no init (tini, --init): Portico is PID 1. The kernel delivers no signal to a PID
 * namespace's init for which it has no handler, from inside or from the host (`docker stop`), so
 * SIGTERM works only because Portico installs one. This runs the Dockerfile's ENTRYPOINT + CMD, from
 * dist/ as the image does, as PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`) and
 * signals it from outside, as the Docker daemon does.
 *
 * Skips: when the sandbox forbids new PID namespaces (a container without CAP_SYS_ADMIN and no user
 * namespaces) the test is skipped with a notice even under PORTICO_REQUIRE_ALL=1: that is the machine's
 * policy, not a missing package. A missing `unshare` (util-linux, essential in Debian) fails under it.
 */
const TOKEN = 'pid1-test-admin-token-0123456789';

function unshareArgs(t: TestContext): string[] | undefined {
  const unshare = findBinary('unshare');
  const skip = (why: string) => {
    process.stderr.write(`\n  SKIPPED: ${t.name}: ${why}\n`);
    t.diagnostic(`skipped: ${why}`);
    t.skip(why);
    return undefined;
  };
  if (!unshare) {
    const why = 'unshare is not installed (apt-get install util-linux)';
    if (process.env.PORTICO_REQUIRE_ALL === '1') throw new Error(`${why}; PORTICO_REQUIRE_ALL=1 makes this a failure`);
    return skip(why);
  }
  // As root a PID namespace of its own; otherwise inside a user namespace, where that is allowed.
  for (const args of [[unshare], [unshare, '--user', '--map-root-user']]) {
    const full = [...args, '--pid', '--fork', '--mount-proc'];
    if (spawnSync(full[0] as string, [...full.slice(1), 'true']).status === 0) return full;
  }
  return skip('this machine does not permit new PID namespaces (unshare --pid --fork --mount-proc failed)');
}

/** The pid, as seen from here, of the process `unshare --fork` started (PID 1 in its namespace). */
function childOf(parent: number): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}

function run(cmd: string[]) {
  const child = spawn(cmd[0] as string, cmd.slice(1), { cwd: ROOT });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const until = async (re: RegExp, ms = 20_000) => {
    for (let waited = 0; !re.test(out); waited += 50) {
      if (waited > ms || child.exitCode !== null) throw new Error(`no ${re} in: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return re.exec(out) as RegExpExecArray;
  };
  return { child, exited, until, output: () => out };
}

async function pid1(child: ChildProcess): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const pid = childOf(child.pid as number);
    if (pid) return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the namespace init did not appear');
}

test('PID 1 without a SIGTERM handler ignores SIGTERM (why the next test means something)', async (t) => {
  const ns = unshareArgs(t);
  if (!ns) return;
  const p = run([...ns, process.execPath, '-e', 'setInterval(() => {}, 1000); console.log(`pid ${process.pid}`)']);
  t.after(() => p.child.kill('SIGKILL'));
  await p.until(/pid 1\b/);
  const inner = await pid1(p.child);
  process.kill(inner, 'SIGTERM');
  // A process that did not ignore it would be gone at once; give it 500 ms.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(p.child.exitCode, null, 'still running after SIGTERM');
  process.kill(inner, 'SIGKILL');
  await p.exited;
});

test("the image's command as PID 1: SIGTERM drains an in-flight request, then it exits 0", async (t) => {
  const ns = unshareArgs(t);
  if (!ns) return;
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is built (npm run build)');
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  const upstream = await startUpstream((_req, res) => void held.then(() => res.end('slow done')));
  const dir = await mkdtemp(join(tmpdir(), 'portico-pid1-'));
  t.after(async () => {
    release();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });
  await writeFile(
    join(dir, 'portico.yaml'),
    `version: 1
admin: { token: ${TOKEN} }
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /slow, integration: { type: http_proxy, uri: "${upstream.url}/slow" } }
`,
  );
  // The Dockerfile's ENTRYPOINT and CMD, with the container's paths and addresses swapped for the test's.
  const { stages } = readDockerfile();
  const final = stages.at(-1) ?? [];
  const cmd = [...(last(final, 'ENTRYPOINT')?.args ?? []), ...(last(final, 'CMD')?.args ?? [])];
  const swap: Record<string, string> = {
    '-c': join(dir, 'portico.yaml'),
    '--data-dir': join(dir, 'data'),
    '--listen': '127.0.0.1:0',
    '--admin-listen': '127.0.0.1:0',
  };
  const argv = cmd.map((a, i) => swap[cmd[i - 1] as string] ?? a);
  assert.equal(argv[0], 'node');
  const p = run([...ns, process.execPath, ...argv.slice(1)]);
  t.after(() => p.child.kill('SIGKILL'));
  const m = await p.until(/"url":"(http:\/\/[^"]+)","admin":"(http:\/\/[^"]+)".*"portico started"/);
  const [url, adminUrl] = [m[1] as string, m[2] as string];
  const status = (await (
    await fetch(`${adminUrl}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).json()) as { pid: number };
  assert.equal(status.pid, 1, 'Portico is PID 1 of its namespace');

  const response = new Promise<{ status: number; body: string }>((resolve, reject) =>
    get(`${url}/slow`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject),
  );
  for (let i = 0; upstream.requests.length === 0; i++) {
    assert.ok(i < 200, 'the request reached the upstream');
    await new Promise((r) => setTimeout(r, 25));
  }
  process.kill(await pid1(p.child), 'SIGTERM');
  await p.until(/"signal":"SIGTERM","inflight":1.*"draining"/);
  assert.equal(p.child.exitCode, null, 'still running while the request is in flight');
  release();
  assert.deepEqual(await response, { status: 200, body: 'slow done' });
  assert.equal(await p.exited, 0, `exit code 0; output: ${p.output()}`);
  assert.match(p.output(), /"stopped"/);
});
