import { chmodSync, closeSync, linkSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';

/** `PRAGMA application_id` of Portico's store files: "PRTC". */
export const APPLICATION_ID = 0x50525443;
/** `PRAGMA user_version`: the store format this code writes and reads (1 = docs, counters, usage). */
export const STORE_FORMAT = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (collection TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (collection, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value REAL NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage (subject TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (subject, day)) WITHOUT ROWID;
`;

/** The tables of format 1 and their columns: how a file of Portico before the marker (bf73978) is recognised. */
const TABLES: Record<string, string[]> = {
  docs: ['collection', 'id', 'value'],
  counters: ['key', 'value', 'expires_at'],
  usage: ['subject', 'day', 'count'],
};

const SQLITE_MAGIC = 'SQLite format 3\0';

/** A store file Portico refuses to open: the message names the file and says what to do. */
export class StoreFileError extends Error {
  readonly file: string;
  constructor(file: string, problem: string, remedy: string) {
    super(`the store file ${file} ${problem}. ${remedy}`);
    this.name = 'StoreFileError';
    this.file = file;
  }
}

const LOSS =
  'runtime API keys, plan memberships, usage and quota counts start empty; keys declared in the config are recreated';

function remedies(file: string): { restore: string; aside: string } {
  const name = basename(file);
  return {
    restore: `Restore ${name} from a backup`,
    aside: `or move ${name} (with any ${name}-wal and ${name}-shm beside it) out of ${dirname(file)} to start with an empty store (${LOSS})`,
  };
}

function refuse(file: string, problem: string): never {
  const r = remedies(file);
  throw new StoreFileError(file, problem, `${r.restore}, ${r.aside}.`);
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function readHead(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** A brand-new store: built beside the target, then linked into place, so a crash never leaves a half-made (e.g. empty) portico.db. */
function create(file: string): void {
  const wal = sizeOf(`${file}-wal`);
  if (wal !== undefined && wal > 0) {
    // SQLite would replay it into the new file.
    throw new StoreFileError(
      file,
      `is missing but ${basename(file)}-wal beside it is not: that is what is left of a store whose main file was removed`,
      `Restore ${basename(file)} from a backup, or move ${basename(file)}-wal and ${basename(file)}-shm out of ${dirname(file)} to start with an empty store (${LOSS}).`,
    );
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.new-${process.pid}`;
  try {
    const db = new Database(tmp);
    try {
      db.pragma('journal_mode = WAL');
      db.exec(SCHEMA);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${STORE_FORMAT}`);
    } finally {
      db.close();
    }
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, file);
    } catch (err) {
      // Another process (a second gateway on the same data dir) made it first: open theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  }
}

function tablesOf(db: Database.Database): Map<string, string[]> {
  const rows = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[];
  return new Map(
    rows.map((r) => [
      r.name,
      (db.pragma(`table_info("${r.name.replaceAll('"', '""')}")`) as { name: string }[]).map((c) => c.name),
    ]),
  );
}

/** Format 1 without the marker: exactly Portico's tables (some may be missing), with their columns. */
function isUnmarkedPortico(tables: Map<string, string[]>): boolean {
  if (!tables.has('docs')) return false;
  for (const [name, cols] of tables) {
    const want = TABLES[name];
    if (!want || want.join() !== cols.join()) return false;
  }
  return true;
}

function describeTables(tables: Map<string, string[]>): string {
  const names = [...tables.keys()];
  if (names.length === 0) return 'no tables';
  return `tables ${names.slice(0, 5).join(', ')}${names.length > 5 ? `, … (${names.length})` : ''}`;
}

/** The checks on an opened file; returns whether it is an unmarked Portico file to mark. */
function check(db: Database.Database, file: string): boolean {
  let problems: string[];
  try {
    // Every page of every table and index (not the cross-checks of integrity_check): 45 ms for
    // 100,000 keys (a 40 MB file) on the reference machine, less than loading the keys.
    problems = (db.pragma('quick_check(5)') as Record<string, unknown>[]).map((r) => String(Object.values(r)[0]));
  } catch (err) {
    return refuse(file, `is damaged or not a SQLite database (SQLite: ${(err as Error).message})`);
  }
  if (problems.join() !== 'ok') return refuse(file, `is damaged (SQLite quick_check: ${problems.join('; ')})`);
  const appId = db.pragma('application_id', { simple: true }) as number;
  const format = db.pragma('user_version', { simple: true }) as number;
  if (appId === APPLICATION_ID) {
    if (format > STORE_FORMAT) {
      throw new StoreFileError(
        file,
        `was written by a newer Portico (store format ${format}; this version reads up to ${STORE_FORMAT})`,
        `Run that newer Portico, or restore a backup made by this version.`,
      );
    }
    return false;
  }
  const tables = tablesOf(db);
  if (appId === 0 && format === 0 && isUnmarkedPortico(tables)) return true;
  const id = appId === 0 ? 'no application_id' : `application_id 0x${(appId >>> 0).toString(16)}`;
  return refuse(
    file,
    `is a SQLite database, but not Portico's (${id}, user_version ${format}, ${describeTables(tables)})`,
  );
}

/**
 * Opens <dataDir>/portico.db, refusing a file that is not a sound Portico store: empty (0 bytes),
 * not SQLite, another application's SQLite database, or damaged (`PRAGMA quick_check`). A missing
 * file is created. A file of Portico before the marker (its tables, application_id 0) is marked
 * with Portico's application_id and store format and opened; `migrated` says so.
 */
export function openStoreFile(file: string): { db: Database.Database; migrated: boolean } {
  if (file === ':memory:') {
    const db = new Database(file);
    db.exec(SCHEMA);
    return { db, migrated: false };
  }
  let size = sizeOf(file);
  if (size === undefined) {
    create(file);
    size = sizeOf(file) ?? 0;
  }
  if (!statSync(file).isFile()) refuse(file, 'is not a regular file');
  // A main file still empty but with a WAL is SQLite's business (it recovers from the WAL); the checks below still run.
  const walSize = sizeOf(`${file}-wal`) ?? 0;
  if (size === 0 && walSize === 0)
    refuse(file, 'is empty (0 bytes): it holds no store, so every API key would be refused');
  if (size > 0) {
    const head = readHead(file, 16);
    if (head.toString('latin1') !== SQLITE_MAGIC)
      refuse(file, `is not a SQLite database (it does not start with "SQLite format 3")`);
  }
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch (err) {
    return refuse(file, `cannot be opened (${(err as Error).message})`);
  }
  try {
    const migrated = check(db, file);
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    if (migrated) {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${STORE_FORMAT}`);
    }
    return { db, migrated };
  } catch (err) {
    db.close();
    throw err;
  }
}
