import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { keysCommand, usageCommand } from '../../src/api-keys/cli.js';
import { runCliAsync } from '../helpers/cli.js';
import { call } from '../helpers/http-call.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { admin } from './key-helpers.js';
import { loadConfigFile } from '../../src/features.js';

const CONFIG = `version: 1
usagePlans:
  basic: { stages: { pets/prod: {} } }
  gold: { stages: { pets/prod: {} } }
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /pets
        apiKeyRequired: true
        integration: { type: mock, statusCode: 200, body: pets }
`;

type Run = { code: number | null; stdout: string; stderr: string };

/** The real `portico` binary in a child process, without blocking this one (the gateway under test lives here). */
const spawned = (args: string[]): Promise<Run> => runCliAsync(args);

/** The same commands in-process (each spawn costs seconds of tsx start-up): keys/usage with a captured Io. */
async function inProcess(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (l: string) => out.push(l),
    err: (l: string) => err.push(l),
    env: {},
    readConfig: (file: string) => loadConfigFile(file, {}),
  };
  const [cmd, ...rest] = args;
  let code: number;
  try {
    code = await (cmd === 'usage' ? usageCommand : keysCommand)(rest, io);
  } catch (e) {
    err.push((e as Error).message);
    code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, stdout: out.map((l) => `${l}\n`).join(''), stderr: err.join('\n') };
}

describe('API key lifecycle through the CLI and the admin API; no plaintext key on disk or in the logs', () => {
  let t: TestGateway;
  const logLines: string[] = [];
  const values: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });

  before(async () => {
    t = await startTestGateway(CONFIG, { logger: pino({ level: 'trace' }, sink) });
  });
  after(() => t?.close());

  const get = (key?: string) => call(t.port, 'GET', '/prod/pets', key === undefined ? {} : { 'x-api-key': key });
  const c = (...args: string[]) => inProcess([...args, '-c', t.configPath]);

  test('create → use → list/show → disable/enable → rotate → plans → usage → delete', async () => {
    const created = await spawned([
      'keys',
      'create',
      '--name',
      'alice',
      '--plan',
      'basic',
      '--description',
      'first key',
      '-c',
      t.configPath,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const value = /^value: +(\S+)$/m.exec(created.stdout)?.[1] as string;
    const id = /^id: +(\S+)$/m.exec(created.stdout)?.[1] as string;
    assert.ok(value && value.length >= 30, `value of ${value?.length} chars`);
    assert.match(id, /^[a-z0-9]{10}$/);
    assert.match(created.stdout, /shown only now/);
    values.push(value);
    assert.equal((await get(value)).status, 200);
    assert.equal((await get(value)).body, 'pets');

    const list = await spawned(['keys', 'list', '-c', t.configPath]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${id} +alice +true +basic`));
    assert.ok(!list.stdout.includes(value));
    const show = await c('keys', 'show', 'alice', '--json');
    assert.equal(show.code, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as Record<string, unknown>;
    assert.equal(shown.id, id);
    assert.equal(shown.description, 'first key');
    assert.equal('value' in shown || 'hash' in shown, false, 'show never returns the value or its hash');

    assert.equal((await c('keys', 'disable', id)).stdout.trim(), `disabled API key ${id} "alice"`);
    assert.equal((await get(value)).status, 403);
    assert.equal((await c('keys', 'enable', id)).code, 0);
    assert.equal((await get(value)).status, 200);

    const rotated = await c('keys', 'rotate', id);
    assert.equal(rotated.code, 0, rotated.stderr);
    const value2 = /^value: +(\S+)$/m.exec(rotated.stdout)?.[1] as string;
    values.push(value2);
    assert.notEqual(value2, value);
    assert.equal((await get(value)).status, 403, 'the old value stops at once');
    assert.equal((await get(value2)).status, 200);

    // One plan per stage, as AWS: gold covers pets/prod too.
    const clash = await c('keys', 'add-plan', id, 'gold');
    assert.equal(clash.code, 1);
    assert.match(
      clash.stderr,
      /usage plans "basic" and "gold" both cover pets\/prod; a key may be in one plan per stage/,
    );
    const unknown = await c('keys', 'add-plan', id, 'platinum');
    assert.match(unknown.stderr, /unknown usage plan "platinum"; defined: basic, gold/);
    assert.equal((await c('keys', 'remove-plan', id, 'basic')).code, 0);
    assert.equal((await get(value2)).status, 403, 'in no plan of the stage');
    assert.equal((await c('keys', 'add-plan', id, 'gold')).stdout.trim(), `API key ${id} "alice" is in plans: gold`);
    assert.equal((await get(value2)).status, 200);

    const usage = await c('usage', '--key', id, '--json');
    assert.equal(usage.code, 0, usage.stderr);
    const u = JSON.parse(usage.stdout) as { total: number; items: Record<string, number> };
    assert.equal(u.total, 5, 'admitted requests only: 200s, not the 403s');
    const text = await c('usage', '--key', id);
    assert.match(
      text.stdout,
      new RegExp(`API key ${id} "alice", \\d{4}-\\d\\d-\\d\\d to \\d{4}-\\d\\d-\\d\\d: 5 requests`),
    );

    const del = await c('keys', 'delete', id);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await get(value2)).status, 403);
    const gone = await c('keys', 'show', id);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, new RegExp(`portico keys show: no API key with id or name "${id}"`));
  });

  test('import a known value (CloudFormation ApiKey Value); duplicates and short values are refused', async () => {
    const known = 'cfn-imported-value-0123456789abcdef';
    values.push(known);
    const r = await c('keys', 'create', '--name', 'imported', '--plan', 'basic', '--value', known, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { source: string }).source, 'imported');
    assert.equal((await get(known)).status, 200);
    const dup = await admin(t.gw, 'POST', '/keys', { name: 'again', value: known });
    assert.deepEqual(dup, { status: 409, body: { message: 'value: another API key already has this value' } });
    const short = await admin(t.gw, 'POST', '/keys', { name: 'short', value: 'too-short' });
    assert.deepEqual(short, {
      status: 400,
      body: { message: 'value: expected 20-128 printable ASCII characters without spaces' },
    });
    const noName = await c('keys', 'create', '--plan', 'basic');
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /--name NAME is required/);
  });

  test('admin API: token required; list and show carry neither value nor hash', async () => {
    const res = await fetch(new URL('/keys', t.gw.adminUrl));
    assert.equal(res.status, 401);
    const list = await admin(t.gw, 'GET', '/keys');
    for (const k of list.body.items as Record<string, unknown>[]) {
      assert.equal('value' in k || 'hash' in k, false);
    }
    const missing = await admin(t.gw, 'GET', '/keys/nope');
    assert.deepEqual(missing, { status: 404, body: { message: 'no API key with id or name "nope"' } });
    const bad = await admin(t.gw, 'GET', `/keys/${(list.body.items as { id: string }[])[0]?.id}/usage?from=2026-13-01`);
    assert.equal(bad.status, 400);
  });

  test('no plaintext key in the data directory (SQLite file and WAL) or in the logs; secret and db are 0600', async () => {
    assert.ok(values.length >= 3);
    const dataDir = join(t.dir, 'portico-data');
    const files = readdirSync(dataDir);
    assert.ok(files.includes('portico.db'), files.join(', '));
    for (const f of files) {
      const bytes = readFileSync(join(dataDir, f)).toString('latin1');
      for (const v of values) assert.ok(!bytes.includes(v), `${f} contains a key value`);
    }
    assert.equal(statSync(join(dataDir, 'api-key.secret')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'portico.db')).mode & 0o777, 0o600);
    const logs = logLines.join('');
    assert.ok(logs.length > 0, 'the logger captured something');
    for (const v of values) assert.ok(!logs.includes(v), 'a key value was logged');
  });
});
