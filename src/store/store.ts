/**
 * Where access control keeps its state: durable documents (API keys, plan associations), counters
 * (quotas) and per-day usage. The embedded store (embedded.ts) keeps counters in process memory and
 * everything durable in a SQLite file; a Redis store (cluster issue) implements the same interface
 * and passes the same contract suite (store.contract.ts).
 *
 * Every operation is atomic on its own. Times are epoch milliseconds from the store's clock.
 */
export interface Store {
  /** "embedded", "redis", ... */
  readonly kind: string;

  /** A document by collection and id, or undefined. Values are JSON-serialisable. */
  get<T>(collection: string, id: string): Promise<T | undefined>;
  /** Creates or replaces a document. */
  put(collection: string, id: string, value: unknown): Promise<void>;
  /** Creates a document only if the id is free; false if it already exists. */
  insert(collection: string, id: string, value: unknown): Promise<boolean>;
  /** Deletes a document; false if there was none. */
  delete(collection: string, id: string): Promise<boolean>;
  /** Every document of a collection, in id order. */
  list<T>(collection: string): Promise<{ id: string; value: T }[]>;

  /**
   * Adds `amount` to a counter only if the result stays at or below `limit`, atomically (a quota).
   * Returns whether it did and the counter's value afterwards. The counter may be forgotten after
   * `expiresAtMs`; until then it survives a restart (the embedded store may lose the last second).
   */
  consume(key: string, amount: number, limit: number, expiresAtMs: number): Promise<{ ok: boolean; value: number }>;
  /** Adds `amount` (may be negative) to a counter and returns the new value. */
  increment(key: string, amount: number, expiresAtMs: number): Promise<number>;
  /** A counter's value; 0 if it does not exist or has expired. */
  counter(key: string): Promise<number>;

  /** Adds to a subject's usage on a UTC day (YYYY-MM-DD). */
  addUsage(subject: string, day: string, amount: number): Promise<void>;
  /** A subject's usage per day from `fromDay` to `toDay` inclusive (YYYY-MM-DD); days without use are absent. */
  usage(subject: string, fromDay: string, toDay: string): Promise<Record<string, number>>;
  /** Deletes a subject's usage (when its key is deleted). */
  deleteUsage(subject: string): Promise<void>;

  /** Writes buffered counters and usage to durable storage now. */
  flush(): Promise<void>;
  /** Flushes and releases files and connections. */
  close(): Promise<void>;

  /**
   * Resolves when the store can serve now, rejects with the reason otherwise (GET /readyz): the
   * embedded store reads its SQLite file, Redis answers a PING within store.commandTimeoutMs.
   */
  ping(): Promise<void>;

  /**
   * Change notification for stores shared by several processes (Redis pub/sub, the worker
   * primary): the listener hears about documents another node changed; `id` undefined with
   * collection '*' means "anything may have changed" (after a reconnect): reload everything.
   * A store used by one process alone need not implement it.
   */
  onChange?(listener: StoreChangeListener): void;
}

export type StoreChangeListener = (collection: string, id: string | undefined) => void;
