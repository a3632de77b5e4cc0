import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfigText } from '../../src/features.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';

// systemd is not PID 1 on these machines, so the unit is never started: `systemd-analyze verify` and
// `systemd-analyze security --offline` check it as a file, and its command against the CLI.

const UNIT = join(ROOT, 'deploy/systemd/portico.service');
/** A config with every default, for server.timeouts.drainMs. */
const MINIMAL = `version: 1
apis: [{ name: a, type: http, stages: { $default: {} }, routes: [{ route: GET /, integration: { type: mock } }] }]
`;

/** The unit's [Service] settings; a key set twice keeps both values. */
async function service(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  let section = '';
  for (const line of (await readFile(UNIT, 'utf8')).split('\n')) {
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) section = s[1] as string;
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (kv && section === 'Service') (out[kv[1] as string] ??= []).push(kv[2] as string);
  }
  return out;
}

/** The unit with ExecStart's node where this machine has it (verify checks the binary exists). */
async function unitHere(): Promise<{ file: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-unit-'));
  const file = join(dir, 'portico.service');
  await writeFile(
    file,
    (await readFile(UNIT, 'utf8')).replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `),
  );
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

describe('deploy/systemd/portico.service', () => {
  test('systemd-analyze verify: no error and no warning', async (t) => {
    const bin = requireBinary(t, 'systemd-analyze', 'apt-get install systemd');
    if (!bin) return;
    const u = await unitHere();
    t.after(u.cleanup);
    const r = spawnSync(bin, ['verify', u.file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warning (an unknown or misspelt key is only a warning)');
  });

  test('systemd-analyze security --offline rates the sandbox "OK" (exposure 2.0 or less)', async (t) => {
    const bin = requireBinary(t, 'systemd-analyze', 'apt-get install systemd');
    if (!bin) return;
    const u = await unitHere();
    t.after(u.cleanup);
    const r = spawnSync(bin, ['security', '--offline=true', '--no-pager', u.file], { encoding: 'utf8' });
    const m = /Overall exposure level for portico\.service: ([\d.]+) (\w+)/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    t.diagnostic(`exposure ${m[1]} ${m[2]}`);
    assert.ok(Number(m[1]) <= 2, `exposure ${m[1]} ${m[2]}`);
  });

  test('the sandbox settings, ExecStart flags the CLI takes, stop > drain, reload by SIGHUP', async () => {
    const s = await service();
    for (const [k, v] of Object.entries({
      ProtectSystem: 'strict',
      NoNewPrivileges: 'yes',
      PrivateTmp: 'yes',
      ProtectHome: 'yes',
      CapabilityBoundingSet: '',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      SystemCallArchitectures: 'native',
    }))
      assert.deepEqual(s[k], [v], `${k}=${v}`);
    assert.deepEqual(s.SystemCallFilter, ['@system-service', '~@privileged']);
    assert.deepEqual(s.ExecReload, ['/bin/kill -HUP $MAINPID']);

    const argv = (s.ExecStart?.[0] ?? '').split(/\s+/);
    assert.deepEqual(argv.slice(0, 3), ['/usr/bin/node', '/opt/portico/dist/cli/main.js', 'start']);
    const help = runCli(['start', '--help']).stdout;
    for (const f of argv.filter((a) => a.startsWith('-')))
      assert.match(help, new RegExp(`\\s${f}[\\s,]`), `start takes ${f}`);
    const flag = (f: string) => argv[argv.indexOf(f) + 1] as string;
    assert.equal(flag('--data-dir'), `/var/lib/${s.StateDirectory?.[0]}`, 'the data dir is the StateDirectory');
    assert.equal(
      dirname(flag('--pid-file')),
      `/run/${s.RuntimeDirectory?.[0]}`,
      'the pid file is in the RuntimeDirectory',
    );
    assert.equal(dirname(flag('-c')), `/etc/${s.ConfigurationDirectory?.[0]}`);
    const writable = (s.ReadWritePaths?.[0] ?? '').split(/\s+/);
    for (const p of [flag('--data-dir'), dirname(flag('--pid-file'))])
      assert.ok(writable.includes(p), `ReadWritePaths has ${p}`);

    const drainMs = loadConfigText(MINIMAL, join(tmpdir(), 'x.yaml')).config.server.timeouts.drainMs;
    assert.ok(
      Number(s.TimeoutStopSec?.[0]) * 1000 > drainMs,
      `TimeoutStopSec ${s.TimeoutStopSec} s > drainMs ${drainMs}`,
    );
    assert.deepEqual(s.KillSignal, ['SIGTERM']);

    // docs/observability.md's logrotate stanza signals the pid file this unit has Portico write.
    const docs = await readFile(join(ROOT, 'docs/observability.md'), 'utf8');
    const postrotate = /postrotate\n\s*kill -USR1 "\$\(cat ([^)]+)\)"/.exec(docs);
    assert.ok(postrotate, 'the logrotate stanza');
    assert.equal(postrotate[1], flag('--pid-file'));
  });
});
