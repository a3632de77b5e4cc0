import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnCli } from '../helpers/cli.js';

// A Kubernetes ConfigMap volume as the kubelet writes it (its AtomicWriter): the data in a timestamped
// directory, `..data` a symlink to it, and each key a symlink through `..data`. An update writes a new
// directory, points `..data_tmp` at it and renames that over `..data`; `portico.yaml` itself never changes.
const config = (body: string) => `version: 1
dataDir: ${JSON.stringify(join(tmpdir(), `portico-cm-data-${process.pid}`))}
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /body
        integration: { type: mock, body: '${body}' }
`;

async function writeVersion(dir: string, version: string, body: string): Promise<void> {
  await mkdir(join(dir, version));
  await writeFile(join(dir, version, 'portico.yaml'), config(body));
}

test('a ConfigMap update (the ..data symlink swapped) reloads the config', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-cm-'));
  await writeVersion(dir, '..2026_12_07_10_00_00.1', 'one');
  await symlink('..2026_12_07_10_00_00.1', join(dir, '..data'));
  await symlink('..data/portico.yaml', join(dir, 'portico.yaml'));
  const proc = spawnCli([
    'start',
    '-c',
    join(dir, 'portico.yaml'),
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
  ]);
  t.after(async () => {
    proc.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    await rm(join(tmpdir(), `portico-cm-data-${process.pid}`), { recursive: true, force: true });
  });
  const url = (await proc.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*"portico started"/))[1] as string;
  assert.equal(await (await fetch(`${url}/body`)).text(), 'one');

  // The kubelet's update, step by step.
  await writeVersion(dir, '..2026_12_07_10_01_00.2', 'two');
  await symlink('..2026_12_07_10_01_00.2', join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  await rm(join(dir, '..2026_12_07_10_00_00.1'), { recursive: true });

  await proc.waitFor(/"revision":2,"reason":"file change".*config reloaded/);
  assert.equal(await (await fetch(`${url}/body`)).text(), 'two');
});
