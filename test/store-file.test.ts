import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { systemClock } from '../src/clock.js';
import { EmbeddedStore } from '../src/store/embedded.js';
import { spawnCli } from './helpers/cli.js';

const TOKEN = 'store-file-test-admin-token-0123456789';
const CONFIG = `version: 1
dataDir: ./data
admin: { token: ${TOKEN} }
usagePlans:
  basic:
    stages: { svc/$default: {} }
apis:
  - name: svc
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /keyed, apiKeyRequired: true, integration: { type: mock, statusCode: 200, body: ok } }
`;

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A config dir whose data dir holds what `prepare` put in data/portico.db. */
async function project(
  prepare?: (dbFile: string) => Promise<void> | void,
): Promise<{ dir: string; config: string; db: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-storefile-'));
  dirs.push(dir);
  await mkdir(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'portico.yaml');
  await writeFile(config, CONFIG);
  const db = join(dir, 'data', 'portico.db');
  await prepare?.(db);
  return { dir, config, db };
}

type Outcome =
  | { started: true; url: string; adminUrl: string; stop: () => Promise<void>; out: () => string }
  | { started: false; code: number | null; stderr: string };

/** `portico start` on the project: it either starts (then `stop` sends SIGTERM) or exits. */
async function start(config: string): Promise<Outcome> {
  const p = spawnCli(['start', '-c', config, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--no-watch']);
  const ready = p.waitFor(/"url":"(http:\/\/[^"]+)","admin":"(http:\/\/[^"]+)".*"portico started"/, 20_000).then(
    (m) => m,
    () => undefined,
  );
  const r = await Promise.race([ready, p.exited.then(() => 'exited' as const)]);
  if (r === 'exited' || r === undefined) {
    p.kill('SIGKILL');
    return { started: false, code: await p.exited, stderr: p.stderr() + p.stdout() };
  }
  return {
    started: true,
    url: r[1] as string,
    adminUrl: r[2] as string,
    out: () => p.stdout() + p.stderr(),
    stop: async () => {
      p.kill('SIGTERM');
      await p.exited;
    },
  };
}

/** Refused: exit 1 and a message naming the file and saying what to do. */
async function assertRefused(config: string, db: string, problem: RegExp): Promise<string> {
  const r = await start(config);
  if (r.started) {
    await r.stop();
    assert.fail(`the gateway started on ${db}`);
  }
  assert.equal(r.code, 1, r.stderr);
  assert.ok(r.stderr.includes(`the store file ${db} `), `names the file: ${r.stderr}`);
  assert.match(r.stderr, problem);
  assert.match(r.stderr, /Restore portico\.db from a backup/);
  assert.match(
    r.stderr,
    /to start with an empty store \(runtime API keys, plan memberships, usage and quota counts start empty/,
  );
  return r.stderr;
}

/** A real store file with 2,000 documents, written by the embedded store. */
async function realStore(file: string): Promise<void> {
  const s = new EmbeddedStore({ file, clock: systemClock, sweepIntervalMs: 0 });
  for (let i = 0; i < 2000; i++)
    await s.put('keys', `k${i}`, { name: `key ${i}`, hash: `${i}`.padStart(64, 'f'), usagePlans: ['basic'] });
  await s.close();
}

async function admin(
  adminUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, adminUrl), {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function marks(file: string): { appId: number; format: number } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      appId: db.pragma('application_id', { simple: true }) as number,
      format: db.pragma('user_version', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}

describe('store file integrity at start', () => {
  test('an empty portico.db is refused at start with a message naming the file', async () => {
    const p = await project((db) => writeFile(db, ''));
    await assertRefused(p.config, p.db, /is empty \(0 bytes\)/);
    assert.equal((await stat(p.db)).size, 0, 'the file is left as it was');
  });

  test('a foreign SQLite portico.db (another application\u2019s tables) is refused at start with a message naming the file', async () => {
    const p = await project((file) => {
      const db = new Database(file);
      db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders VALUES (1, 9.5);');
      db.close();
    });
    await assertRefused(
      p.config,
      p.db,
      /is a SQLite database, but not Portico's \(no application_id, user_version 0, tables orders\)/,
    );
  });

  test('a portico.db that is not SQLite (a text file) is refused at start with a message naming the file', async () => {
    const p = await project((db) => writeFile(db, 'keys:\n  - abc\n'));
    await assertRefused(p.config, p.db, /is not a SQLite database/);
  });

  test('a corrupt portico.db (truncated, or a garbled page) is refused at start with a message naming the file', async () => {
    const truncated = await project(async (db) => {
      await realStore(db);
      await truncate(db, Math.floor((await stat(db)).size / 2));
    });
    await assertRefused(truncated.config, truncated.db, /is damaged/);
    const garbled = await project(async (db) => {
      await realStore(db);
      const b = await readFile(db);
      // Page 6 of 4,096 bytes: a b-tree page of the documents.
      b.fill(0xa5, 5 * 4096, 6 * 4096);
      await writeFile(db, b);
    });
    await assertRefused(garbled.config, garbled.db, /is damaged/);
  });

  test('a portico.db of an earlier Portico (its tables, no marker) still opens with its keys and gets the marker; a new one is marked', async () => {
    const p = await project();
    const first = await start(p.config);
    assert.ok(first.started, first.started ? '' : first.stderr);
    const created = await admin(first.adminUrl, 'POST', '/keys', { name: 'old', plans: ['basic'] });
    assert.equal(created.status, 201);
    await first.stop();
    assert.deepEqual(marks(p.db), { appId: 0x50525443, format: 1 }, 'a store Portico creates carries its marker');

    // What bf73978 left: the same tables, application_id and user_version 0.
    const db = new Database(p.db);
    db.pragma('application_id = 0');
    db.pragma('user_version = 0');
    db.close();

    const second = await start(p.config);
    assert.ok(second.started, second.started ? '' : second.stderr);
    try {
      const r = await fetch(new URL('/keyed', second.url), { headers: { 'x-api-key': created.body.value as string } });
      assert.equal(r.status, 200, 'the key of the old file still works');
      assert.match(second.out(), /store file recognised by its tables and marked as Portico store format 1/);
    } finally {
      await second.stop();
    }
    assert.deepEqual(marks(p.db), { appId: 0x50525443, format: 1 });
  });
});
