import Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { openStoreFile } from './sqlite-file.js';
import type { Store } from './store.js';

export interface EmbeddedStoreOptions {
  /** SQLite file, e.g. <dataDir>/portico.db. ':memory:' keeps nothing across restarts. */
  file: string;
  clock: Clock;
  /** How often expired counters are dropped from memory and the file (default 60,000 ms; 0 = only at start). */
  sweepIntervalMs?: number;
  /** Told once when a file of Portico before the store marker was recognised by its tables and marked. */
  onMigrated?: (file: string) => void;
}

interface Counter {
  value: number;
  expiresAt: number;
}

function prepareStatements(db: Database.Database) {
  return {
    get: db.prepare('SELECT value FROM docs WHERE collection = ? AND id = ?'),
    put: db.prepare(
      'INSERT INTO docs (collection, id, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
    ),
    insert: db.prepare('INSERT INTO docs (collection, id, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    delete: db.prepare('DELETE FROM docs WHERE collection = ? AND id = ?'),
    list: db.prepare('SELECT id, value FROM docs WHERE collection = ? ORDER BY id'),
    loadCounters: db.prepare('SELECT key, value, expires_at FROM counters WHERE expires_at > ?'),
    saveCounter: db.prepare(
      'INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
    ),
    expireCounters: db.prepare('DELETE FROM counters WHERE expires_at <= ?'),
    addUsage: db.prepare(
      'INSERT INTO usage (subject, day, count) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count',
    ),
    usage: db.prepare('SELECT day, count FROM usage WHERE subject = ? AND day >= ? AND day <= ? ORDER BY day'),
    deleteUsage: db.prepare('DELETE FROM usage WHERE subject = ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The embedded store: counters live in process memory (a quota check is a Map lookup, exact and
 * synchronous) and every change is written through to SQLite before the call that made it
 * resolves. Writes are group-committed: all the changes made in one turn of the event loop share
 * one transaction, committed in that turn's check phase (setImmediate), so a busy gateway pays one
 * commit for many requests. A quota consume therefore resolves only once it is in the WAL, and a
 * process crash (kill -9) loses no count of a request that went on; usage, counted after the
 * response, can lose only the responses that ended in the turn the process died in.
 * WAL with synchronous=NORMAL: a commit survives a process kill; an OS crash or power loss may
 * lose the commits since the last checkpoint's fsync.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  readonly file: string;
  #db: Database.Database;
  #clock: Clock;
  #counters = new Map<string, Counter>();
  /** Counters changed since the last commit. */
  #dirty = new Set<string>();
  /** Usage not yet committed: "subject\nday" → count. */
  #usage = new Map<string, number>();
  /** The commit of the current turn, shared by every change made in it. */
  #commit: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #stmt: Statements;

  constructor(opts: EmbeddedStoreOptions) {
    this.file = opts.file;
    this.#clock = opts.clock;
    const { db, migrated } = openStoreFile(opts.file);
    this.#db = db;
    if (migrated) opts.onMigrated?.(opts.file);
    this.#db.pragma('synchronous = NORMAL');
    this.#stmt = prepareStatements(this.#db);
    const now = this.#clock.now();
    this.#stmt.expireCounters.run(now);
    for (const row of this.#stmt.loadCounters.all(now) as { key: string; value: number; expires_at: number }[]) {
      this.#counters.set(row.key, { value: row.value, expiresAt: row.expires_at });
    }
    const every = opts.sweepIntervalMs ?? 60_000;
    if (every > 0) {
      this.#timer = setInterval(() => {
        try {
          this.#sweep();
        } catch {
          // A busy or failing disk: expired rows are only garbage, the next sweep (or the next start) drops them.
        }
      }, every);
      this.#timer.unref();
    }
  }

  #check(): void {
    if (this.#closed) throw new Error(`the store ${this.file} is closed`);
  }

  async get<T>(collection: string, id: string): Promise<T | undefined> {
    this.#check();
    const row = this.#stmt.get.get(collection, id) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async put(collection: string, id: string, value: unknown): Promise<void> {
    this.#check();
    this.#stmt.put.run(collection, id, JSON.stringify(value));
  }

  async insert(collection: string, id: string, value: unknown): Promise<boolean> {
    this.#check();
    return this.#stmt.insert.run(collection, id, JSON.stringify(value)).changes === 1;
  }

  async delete(collection: string, id: string): Promise<boolean> {
    this.#check();
    return this.#stmt.delete.run(collection, id).changes === 1;
  }

  async list<T>(collection: string): Promise<{ id: string; value: T }[]> {
    this.#check();
    return (this.#stmt.list.all(collection) as { id: string; value: string }[]).map((r) => ({
      id: r.id,
      value: JSON.parse(r.value) as T,
    }));
  }

  /** The live counter for a key, dropping it if it expired. */
  #live(key: string): Counter | undefined {
    const c = this.#counters.get(key);
    if (c && c.expiresAt <= this.#clock.now()) {
      this.#counters.delete(key);
      return undefined;
    }
    return c;
  }

  #set(key: string, c: Counter | undefined, value: number, expiresAtMs: number): void {
    if (c) {
      c.value = value;
      c.expiresAt = Math.max(c.expiresAt, expiresAtMs);
    } else this.#counters.set(key, { value, expiresAt: expiresAtMs });
    this.#dirty.add(key);
  }

  /** Resolves once this turn's changes are committed (rejects if the commit failed; they stay pending). */
  #committed(): Promise<void> {
    this.#commit ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.#commit = undefined;
        try {
          this.#flushNow();
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    return this.#commit;
  }

  async consume(
    key: string,
    amount: number,
    limit: number,
    expiresAtMs: number,
  ): Promise<{ ok: boolean; value: number }> {
    this.#check();
    const c = this.#live(key);
    const value = c?.value ?? 0;
    // Decided now, in memory, so concurrent consumes never pass the limit together.
    if (value + amount > limit) return { ok: false, value };
    this.#set(key, c, value + amount, expiresAtMs);
    await this.#committed();
    return { ok: true, value: value + amount };
  }

  async increment(key: string, amount: number, expiresAtMs: number): Promise<number> {
    this.#check();
    const c = this.#live(key);
    const value = (c?.value ?? 0) + amount;
    this.#set(key, c, value, expiresAtMs);
    await this.#committed();
    return value;
  }

  async counter(key: string): Promise<number> {
    this.#check();
    return this.#live(key)?.value ?? 0;
  }

  async addUsage(subject: string, day: string, amount: number): Promise<void> {
    this.#check();
    const k = `${subject}\n${day}`;
    this.#usage.set(k, (this.#usage.get(k) ?? 0) + amount);
    await this.#committed();
  }

  async usage(subject: string, fromDay: string, toDay: string): Promise<Record<string, number>> {
    this.#check();
    this.#flushNow();
    const out: Record<string, number> = {};
    for (const r of this.#stmt.usage.all(subject, fromDay, toDay) as { day: string; count: number }[])
      out[r.day] = r.count;
    return out;
  }

  async deleteUsage(subject: string): Promise<void> {
    this.#check();
    for (const k of this.#usage.keys()) if (k.startsWith(`${subject}\n`)) this.#usage.delete(k);
    this.#stmt.deleteUsage.run(subject);
  }

  /** Commits every pending change in one transaction; on failure they stay pending for the next commit. */
  #flushNow(): void {
    if (this.#closed || (this.#dirty.size === 0 && this.#usage.size === 0)) return;
    const s = this.#stmt;
    this.#db.transaction(() => {
      for (const key of this.#dirty) {
        const c = this.#counters.get(key);
        if (c) s.saveCounter.run(key, c.value, c.expiresAt);
      }
      for (const [k, n] of this.#usage) {
        const nl = k.indexOf('\n');
        s.addUsage.run(k.slice(0, nl), k.slice(nl + 1), n);
      }
    })();
    this.#dirty.clear();
    this.#usage.clear();
  }

  /** Drops expired counters from memory and from the file. */
  #sweep(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    for (const [key, c] of this.#counters) {
      if (c.expiresAt <= now) {
        this.#counters.delete(key);
        this.#dirty.delete(key);
      }
    }
    this.#stmt.expireCounters.run(now);
  }

  async flush(): Promise<void> {
    this.#check();
    this.#flushNow();
  }

  /** The file is open and readable: one read of its schema table. */
  async ping(): Promise<void> {
    this.#check();
    this.#db.prepare('SELECT count(*) FROM sqlite_master').get();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.#flushNow();
    this.#sweep();
    this.#closed = true;
    this.#db.close();
  }
}
