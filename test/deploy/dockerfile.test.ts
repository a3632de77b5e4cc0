import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';
import { dockerIgnored, last, readDockerfile } from './files.js';

// There is no Docker daemon on these machines: the image is checked as a file, its healthcheck script
// and its CMD as real processes (the CMD as PID 1 in pid1.test.ts).

const { args, stages } = readDockerfile();
const final = stages.at(-1) ?? [];
const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

describe('deploy/docker/Dockerfile', () => {
  test('multi-stage on Node 22 LTS (bookworm-slim), the Node image one build argument', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    assert.equal(args.NODE_IMAGE, 'node:22-bookworm-slim');
    for (const s of stages) assert.equal(s[0]?.args[0], '${NODE_IMAGE}', `FROM at line ${s[0]?.line}`);
    assert.ok(
      !final.some((i) => i.op === 'RUN' && /npm (ci|install)\b/.test(i.raw)),
      'no npm install in the runtime stage',
    );
  });

  test('runs as a non-root user, with the data dir a VOLUME that user owns', () => {
    const user = last(final, 'USER')?.args[0];
    assert.ok(user && !['root', '0'].includes(user), `USER ${user}`);
    const cmd = last(final, 'CMD')?.args ?? [];
    const dataDir = cmd[cmd.indexOf('--data-dir') + 1] as string;
    assert.equal(dataDir, '/var/lib/portico');
    const volume = last(final, 'VOLUME');
    assert.ok(volume?.args.includes(dataDir), `VOLUME ${dataDir}`);
    // Changes after VOLUME are discarded, so the chown must come before it.
    const chown = final.find((i) => i.op === 'RUN' && i.raw.includes(`chown ${user}:${user} ${dataDir}`));
    assert.ok(chown && chown.line < (volume?.line ?? 0), 'the data dir is chowned to the user before VOLUME');
  });

  test('ENTRYPOINT and CMD are the package bin running `start` with flags the CLI takes', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { portico: string } };
    assert.deepEqual(last(final, 'ENTRYPOINT')?.args, ['node', pkg.bin.portico]);
    const cmd = last(final, 'CMD')?.args ?? [];
    assert.equal(cmd[0], 'start');
    const help = runCli(['start', '--help']).stdout;
    for (const flag of cmd.filter((a) => a.startsWith('-')))
      assert.match(help, new RegExp(`\\s${flag}[\\s,]`), `start --help lists ${flag}`);
    assert.equal(
      last(final, 'STOPSIGNAL')?.args[0] ?? 'SIGTERM',
      'SIGTERM',
      'docker stop sends what Portico drains on',
    );
  });

  test('HEALTHCHECK runs the healthcheck script with node against the admin listener of the CMD', () => {
    const hc = last(final, 'HEALTHCHECK');
    assert.ok(hc, 'a HEALTHCHECK');
    const exec = hc.args;
    assert.deepEqual(exec.slice(0, 1), ['CMD']);
    assert.deepEqual(exec.slice(1), ['node', 'healthcheck.mjs'], 'node is in the image; curl is not');
    const copied = final.filter((i) => i.op === 'COPY' && !i.flags.from).flatMap((i) => i.args.slice(0, -1));
    assert.ok(copied.includes('deploy/docker/healthcheck.mjs'), 'the script is copied into the image');
    const cmd = last(final, 'CMD')?.args ?? [];
    const admin = cmd[cmd.indexOf('--admin-listen') + 1] as string;
    const script = readFileSync(join(ROOT, 'deploy/docker/healthcheck.mjs'), 'utf8');
    assert.ok(script.includes(`http://127.0.0.1:${admin.split(':').at(-1)}/healthz`), `the script asks port ${admin}`);
  });

  test('every COPY source exists and .dockerignore keeps it (and every tracked file under it the build needs)', () => {
    const sources = stages
      .flat()
      .filter((i) => (i.op === 'COPY' || i.op === 'ADD') && !i.flags.from)
      .flatMap((i) => i.args.slice(0, -1));
    assert.ok(sources.length >= 6);
    for (const src of sources) {
      assert.ok(existsSync(join(ROOT, src)), `COPY ${src}: exists`);
      assert.ok(!dockerIgnored(ignore, src), `COPY ${src}: kept by .dockerignore`);
      if (!statSync(join(ROOT, src)).isDirectory()) continue;
      const needed = tracked.filter((f) => f.startsWith(`${src}/`) && !f.endsWith('.test.ts'));
      assert.ok(needed.length > 0);
      for (const f of needed) assert.ok(!dockerIgnored(ignore, f), `${f} (under COPY ${src}) is kept`);
    }
  });
});

describe('.dockerignore', () => {
  test('the daemon gets no node_modules, .git, dist, tests, test results, data or bench output', () => {
    for (const p of [
      'node_modules/yaml/package.json',
      'src/node_modules/x.js',
      '.git/HEAD',
      'dist/cli/main.js',
      'test/cli.test.ts',
      'src/config/load.test.ts',
      'test/reliability/results/fast/x.json',
      'bench/results/x.json',
      'portico-data/admin.token',
      'deploy/api-key.secret',
      'deploy/compose.yaml',
      'docs/operations.md',
      '.tmp/x',
    ])
      assert.ok(dockerIgnored(ignore, p), `${p} stays out of the build context`);
    const sent = tracked.filter((f) => !dockerIgnored(ignore, f));
    // The context is the build's inputs only: src (without tests), schema, examples, two scripts, 4 files.
    for (const f of sent)
      assert.match(
        f,
        /^(src\/|schema\/|examples\/|deploy\/docker\/\w+\.mjs$|package(-lock)?\.json$|tsconfig(\.build)?\.json$)/,
      );
  });
});

describe('deploy/docker/healthcheck.mjs', () => {
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz` };
  }
  function check(url: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'deploy/docker/healthcheck.mjs')], {
        env: { ...process.env, PORTICO_HEALTH_URL: url, PORTICO_HEALTH_TIMEOUT_MS: '500' },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  }

  test('exit 0 on 200; 1 on 503, a refused connection and no answer within the timeout', async (t) => {
    const paths: string[] = [];
    let status = 200;
    const ok = await serve((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end(status === 200 ? 'ok' : 'not ready');
    });
    const hang = await serve(() => {});
    t.after(() => {
      ok.server.close();
      hang.server.closeAllConnections();
      hang.server.close();
    });
    assert.equal((await check(ok.url)).code, 0);
    assert.deepEqual(paths, ['/healthz']);
    status = 503;
    const down = await check(ok.url);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /answered 503/);
    const closed = await serve(() => {});
    await new Promise((r) => closed.server.close(r));
    const refused = await check(closed.url);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ECONNREFUSED/);
    const slow = await check(hang.url);
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /TimeoutError/);
  });
});
