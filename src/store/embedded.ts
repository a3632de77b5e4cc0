import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import type { Store } from './store.js';

export interface EmbeddedStoreOptions {
  /** SQLite file, e.g. <dataDir>/portico.db. ':memory:' keeps nothing across restarts. */
  file: string;
  clock: Clock;
  /** How often buffered counters and usage are written to the file (default 1000 ms; 0 = only on flush/close). */
  flushIntervalMs?: number;
}

interface Counter {
  value: number;
  expiresAt: number;
  dirty: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (collection TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (collection, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value REAL NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage (subject TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (subject, day)) WITHOUT ROWID;
`;

function prepareStatements(db: Database.Database) {
  return {
    get: db.prepare('SELECT value FROM docs WHERE collection = ? AND id = ?'),
    put: db.prepare('INSERT INTO docs (collection, id, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value'),
    insert: db.prepare('INSERT INTO docs (collection, id, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    delete: db.prepare('DELETE FROM docs WHERE collection = ? AND id = ?'),
    list: db.prepare('SELECT id, value FROM docs WHERE collection = ? ORDER BY id'),
    loadCounters: db.prepare('SELECT key, value, expires_at FROM counters WHERE expires_at > ?'),
    saveCounter: db.prepare(
      'INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
    ),
    expireCounters: db.prepare('DELETE FROM counters WHERE expires_at <= ?'),
    addUsage: db.prepare('INSERT INTO usage (subject, day, count) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count'),
    usage: db.prepare('SELECT day, count FROM usage WHERE subject = ? AND day >= ? AND day <= ? ORDER BY day'),
    deleteUsage: db.prepare('DELETE FROM usage WHERE subject = ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The embedded store: counters live in process memory (a quota check is a Map lookup) and are
 * written behind to SQLite every flushIntervalMs and on close; documents are written through at
 * once. A crash loses at most the last interval of counts, never a key.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  readonly file: string;
  #db: Database.Database;
  #clock: Clock;
  #counters = new Map<string, Counter>();
  /** Usage not yet written: "subject\nday" → count. */
  #usage = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #stmt: Statements;

  constructor(opts: EmbeddedStoreOptions) {
    this.file = opts.file;
    this.#clock = opts.clock;
    if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
    this.#db = new Database(opts.file);
    if (opts.file !== ':memory:') {
      // Key hashes and usage are nobody else's business.
      chmodSync(opts.file, 0o600);
      this.#db.pragma('journal_mode = WAL');
    }
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    this.#stmt = prepareStatements(this.#db);
    const now = this.#clock.now();
    for (const row of this.#stmt.loadCounters.all(now) as { key: string; value: number; expires_at: number }[]) {
      this.#counters.set(row.key, { value: row.value, expiresAt: row.expires_at, dirty: false });
    }
    const every = opts.flushIntervalMs ?? 1000;
    if (every > 0) {
      this.#timer = setInterval(() => this.#flushNow(), every);
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
    return (this.#stmt.list.all(collection) as { id: string; value: string }[]).map((r) => ({ id: r.id, value: JSON.parse(r.value) as T }));
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

  /** Synchronous form of consume(), for in-process callers that must not wait. */
  consumeNow(key: string, amount: number, limit: number, expiresAtMs: number): { ok: boolean; value: number } {
    this.#check();
    const c = this.#live(key);
    const value = c?.value ?? 0;
    if (value + amount > limit) return { ok: false, value };
    this.#set(key, c, value + amount, expiresAtMs);
    return { ok: true, value: value + amount };
  }

  #set(key: string, c: Counter | undefined, value: number, expiresAtMs: number): void {
    if (c) {
      c.value = value;
      c.expiresAt = Math.max(c.expiresAt, expiresAtMs);
      c.dirty = true;
    } else this.#counters.set(key, { value, expiresAt: expiresAtMs, dirty: true });
  }

  async consume(key: string, amount: number, limit: number, expiresAtMs: number): Promise<{ ok: boolean; value: number }> {
    return this.consumeNow(key, amount, limit, expiresAtMs);
  }

  async increment(key: string, amount: number, expiresAtMs: number): Promise<number> {
    this.#check();
    const c = this.#live(key);
    const value = (c?.value ?? 0) + amount;
    this.#set(key, c, value, expiresAtMs);
    return value;
  }

  async counter(key: string): Promise<number> {
    this.#check();
    return this.#live(key)?.value ?? 0;
  }

  /** Synchronous form of addUsage(). */
  addUsageNow(subject: string, day: string, amount: number): void {
    this.#check();
    const k = `${subject}\n${day}`;
    this.#usage.set(k, (this.#usage.get(k) ?? 0) + amount);
  }

  async addUsage(subject: string, day: string, amount: number): Promise<void> {
    this.addUsageNow(subject, day, amount);
  }

  async usage(subject: string, fromDay: string, toDay: string): Promise<Record<string, number>> {
    this.#check();
    this.#flushNow();
    const out: Record<string, number> = {};
    for (const r of this.#stmt.usage.all(subject, fromDay, toDay) as { day: string; count: number }[]) out[r.day] = r.count;
    return out;
  }

  async deleteUsage(subject: string): Promise<void> {
    this.#check();
    for (const k of this.#usage.keys()) if (k.startsWith(`${subject}\n`)) this.#usage.delete(k);
    this.#stmt.deleteUsage.run(subject);
  }

  #flushNow(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const s = this.#stmt;
    this.#db.transaction(() => {
      for (const [key, c] of this.#counters) {
        if (c.expiresAt <= now) this.#counters.delete(key);
        else if (c.dirty) {
          s.saveCounter.run(key, c.value, c.expiresAt);
          c.dirty = false;
        }
      }
      s.expireCounters.run(now);
      for (const [k, n] of this.#usage) {
        const nl = k.indexOf('\n');
        s.addUsage.run(k.slice(0, nl), k.slice(nl + 1), n);
      }
      this.#usage.clear();
    })();
  }

  async flush(): Promise<void> {
    this.#check();
    this.#flushNow();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.#flushNow();
    this.#closed = true;
    this.#db.close();
  }
}
