import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { access, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { get } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { clusterConfig, sharedSecret, startNode, stopNode } from '../cluster/harness.js';

// docs/observability.md's logrotate stanza, run as written: move the file, then
// `kill -USR1 "$(cat /run/portico/portico.pid)"` (here the pid file the test passes to --pid-file).
const POSTROTATE = (pidFile: string) => `kill -USR1 "$(cat ${pidFile})"`;

const yaml = clusterConfig(
  '{ kind: embedded }',
  'observability: { accessLog: { enabled: true, destination: access.log } }\n',
);

/** n requests, each on its own connection (so --workers spreads them). */
async function send(url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) =>
      get(`${url}/free`, { agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        res.resume().on('end', resolve);
      }).on('error', reject),
    );
  }
}

async function lines(file: string, want: number): Promise<number> {
  // Lines are flushed at least once a second; wait (bounded) until `want` are there.
  for (let i = 0; i < 100; i++) {
    const n = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    if (n >= want) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
}

for (const workers of [undefined, 2]) {
  describe(workers ? `--workers ${workers}` : 'one process', () => {
    test('logrotate: --pid-file names the process to signal; SIGUSR1 to it moves logging to the new file', async (t) => {
      const args = workers ? ['--workers', String(workers)] : [];
      const run = await mkdtemp(join(tmpdir(), 'portico-run-'));
      t.after(() => rm(run, { recursive: true, force: true }));
      const pidFile = join(run, 'portico.pid');
      const ready = workers ? /portico workers ready/ : undefined;
      const n = await startNode(yaml, sharedSecret(), [...args, '--pid-file', pidFile], ready);
      try {
        assert.equal(
          (await readFile(pidFile, 'utf8')).trim(),
          String(n.proc.child.pid),
          'the pid file holds the signalled process',
        );
        const log = join(n.dir, 'access.log');
        await send(n.url, 10);
        assert.equal(await lines(log, 10), 10);

        await rename(log, `${log}.1`);
        execFileSync('sh', ['-c', POSTROTATE(pidFile)]);
        const reopened = new RegExp(`(access log reopened[^\\n]*\\n[^]*){${workers ?? 1}}`);
        await n.proc.waitFor(reopened);
        await send(n.url, 10);
        assert.equal(await lines(log, 10), 10, 'requests after the rotation are in the new file');
        assert.equal(await lines(`${log}.1`, 10), 10, 'the rotated file keeps the earlier ones');
        assert.doesNotMatch(n.proc.stderr(), /Debugger listening/, 'SIGUSR1 did not open the inspector');
      } finally {
        assert.equal(await stopNode(n), 0);
      }
      await assert.rejects(access(pidFile), 'the pid file is removed at exit');
    });
  });
}
