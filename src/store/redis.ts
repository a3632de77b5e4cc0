import { randomUUID } from 'node:crypto';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { StoreHealth, StoreUnavailableError, withTimeout } from './health.js';
import type { RedisStoreConfig } from './schema.js';
import type { Store, StoreChangeListener } from './store.js';

export type RedisClient = Redis | Cluster;

/**
 * consume/increment in one script: the counter is a hash {v, e}; e (expiry, epoch ms of the
 * caller's clock) is checked against the caller's now, and PEXPIRE lets Redis drop it later.
 * KEYS[1] counter; ARGV amount, limit ('' = none), expiresAt, now.
 */
const COUNTER_LUA = `
local now = tonumber(ARGV[4])
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
local v = 0
local e = tonumber(cur[2])
if e and e > now then v = tonumber(cur[1]) else e = nil end
local amount = tonumber(ARGV[1])
if ARGV[2] ~= '' and v + amount > tonumber(ARGV[2]) then return {0, string.format('%.17g', v)} end
v = v + amount
local exp = tonumber(ARGV[3])
if e and e > exp then exp = e end
redis.call('HSET', KEYS[1], 'v', string.format('%.17g', v), 'e', string.format('%.17g', exp))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(exp - now)))
return {1, string.format('%.17g', v)}
`;

/** Reply errors that mean "Redis can't serve now", not "our script is wrong". */
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOSCRIPT)/;

interface Scripts {
  porticoCounter(key: string, amount: string, limit: string, expiresAt: string, now: string): Promise<[number, string]>;
}

export interface RedisStoreOptions {
  config: RedisStoreConfig;
  clock: Clock;
  log: Logger;
}

/** ioredis options for the request path: tight timeout, no offline queue, quick reconnects. */
function clientOptions(cfg: RedisStoreConfig): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    // A backstop only: each call has its own commandTimeoutMs deadline (withTimeout), tolerant of event-loop lag.
    commandTimeout: Math.max(1000, cfg.commandTimeoutMs * 20),
    connectTimeout: cfg.connectTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    ...(cfg.options as RedisOptions),
  };
}

/** ioredis, loaded by the first RedisStore.open: a gateway on the embedded store never loads it (about 20 MB RSS). */
let ioredis: { Redis: typeof Redis; Cluster: typeof Cluster } | undefined;

function makeClient(cfg: RedisStoreConfig): RedisClient {
  if (!ioredis) throw new Error('RedisStore: ioredis is not loaded (use RedisStore.open)');
  const { Cluster, Redis } = ioredis;
  const opts = clientOptions(cfg);
  if (cfg.cluster?.length)
    return new Cluster(cfg.cluster, { lazyConnect: true, enableOfflineQueue: false, redisOptions: opts });
  if (cfg.sentinels?.length) return new Redis({ ...opts, sentinels: cfg.sentinels, name: cfg.name ?? 'mymaster' });
  return new Redis(cfg.url, opts);
}

/** Resolves when the client is ready, or rejects after `ms` (then the client is disconnected). */
async function connectWithin(client: RedisClient, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot connect to Redis at ${what}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

function describeTarget(cfg: RedisStoreConfig): string {
  if (cfg.cluster?.length) return `cluster ${cfg.cluster.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (cfg.sentinels?.length) return `sentinel master ${cfg.name ?? 'mymaster'}`;
  return cfg.url.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * The Redis store (ioredis): documents in one hash per collection, counters as Lua-updated hashes,
 * usage as one hash per subject, and a pub/sub channel announcing document changes so every node
 * sees a key created or revoked elsewhere. Every command has commandTimeoutMs and no offline queue;
 * once one fails, `health` marks Redis down and request-path calls fail at once with
 * StoreUnavailableError until a probe succeeds (callers apply the failure policy).
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly config: RedisStoreConfig;
  readonly client: RedisClient;
  readonly health: StoreHealth;
  readonly prefix: string;
  /** Limiter keys share a hash tag in Redis Cluster, so a multi-level check runs in one slot. */
  readonly limiterPrefix: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #node = randomUUID();
  readonly #channel: string;
  #sub: RedisClient | undefined;
  #listeners: StoreChangeListener[] = [];
  #closed = false;
  #resync: NodeJS.Timeout | undefined;

  private constructor(opts: RedisStoreOptions) {
    this.config = opts.config;
    this.prefix = opts.config.keyPrefix;
    this.limiterPrefix = opts.config.cluster?.length ? `${this.prefix}{rl}:` : `${this.prefix}rl:`;
    this.#clock = opts.clock;
    this.#log = opts.log;
    this.#channel = `${this.prefix}changes`;
    this.client = makeClient(opts.config);
    this.client.defineCommand('porticoCounter', { numberOfKeys: 1, lua: COUNTER_LUA });
    this.health = new StoreHealth(
      () => withTimeout(this.client.ping(), opts.config.commandTimeoutMs),
      opts.config.probeIntervalMs,
      opts.log,
    );
    // Without a listener an 'error' event would crash the process.
    this.client.on('error', (err: Error) => this.#log.debug({ error: err.message }, 'store: Redis connection error'));
    this.client.on('close', () => {
      if (!this.#closed) this.health.fail(new Error('connection to Redis closed'), true);
    });
    this.client.on('ready', () => this.health.recovered());
  }

  /** Connects (waiting up to connectTimeoutMs) and subscribes to change messages. */
  static async open(opts: RedisStoreOptions): Promise<RedisStore> {
    ioredis ??= await import('ioredis');
    const s = new RedisStore(opts);
    const what = describeTarget(opts.config);
    await connectWithin(s.client, opts.config.connectTimeoutMs, what);
    try {
      const sub = s.client.duplicate();
      s.#sub = sub;
      sub.on('error', (err: Error) => s.#log.debug({ error: err.message }, 'store: Redis subscriber error'));
      sub.on('message', (channel: string, message: string) => s.#onMessage(channel, message));
      await connectWithin(sub, opts.config.connectTimeoutMs, what);
      await sub.subscribe(s.#channel);
      // After a reconnect messages may have been missed: everyone resyncs.
      let first = true;
      sub.on('ready', () => {
        if (first) return;
        s.#emit('*', undefined);
      });
      first = false;
    } catch (err) {
      s.client.disconnect();
      s.#sub?.disconnect();
      throw err;
    }
    const every = opts.config.resyncIntervalMs;
    if (every > 0) {
      s.#resync = setInterval(() => {
        if (s.health.up) s.#emit('*', undefined);
      }, every);
      s.#resync.unref();
    }
    return s;
  }

  #onMessage(channel: string, message: string): void {
    if (channel !== this.#channel) return;
    try {
      const m = JSON.parse(message) as { n?: string; c?: string; id?: string };
      if (m.n === this.#node || typeof m.c !== 'string') return;
      this.#emit(m.c, typeof m.id === 'string' ? m.id : undefined);
    } catch {
      // not ours
    }
  }

  #emit(collection: string, id: string | undefined): void {
    for (const fn of this.#listeners) {
      try {
        fn(collection, id);
      } catch (err) {
        this.#log.error({ err }, 'store: change listener failed');
      }
    }
  }

  onChange(listener: StoreChangeListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Runs a command, turning connection trouble into StoreUnavailableError (and marking Redis down).
   * Request-path calls (counters, usage) get commandTimeoutMs; documents and usage reports (admin and
   * startup, never on the request path: keys are looked up in memory) get connectTimeoutMs.
   */
  async #run<T>(fn: () => Promise<T>, admin = false): Promise<T> {
    if (this.#closed) throw new Error(`the Redis store ${describeTarget(this.config)} is closed`);
    if (!this.health.up)
      throw new StoreUnavailableError(`Redis is unreachable (${this.health.status().lastError ?? 'down'})`);
    try {
      const v = await withTimeout(
        fn(),
        admin ? Math.max(this.config.commandTimeoutMs, this.config.connectTimeoutMs) : this.config.commandTimeoutMs,
      );
      this.health.succeeded();
      return v;
    } catch (err) {
      const e = err as Error;
      if (e.name === 'ReplyError' && !TRANSIENT_REPLY.test(e.message)) throw err;
      this.health.fail(err);
      throw err instanceof StoreUnavailableError
        ? err
        : new StoreUnavailableError(`Redis did not answer: ${e.message}`, { cause: err });
    }
  }

  #doc(collection: string): string {
    return `${this.prefix}doc:${collection}`;
  }

  async #publish(collection: string, id: string): Promise<void> {
    await this.client.publish(this.#channel, JSON.stringify({ n: this.#node, c: collection, id }));
  }

  get<T>(collection: string, id: string): Promise<T | undefined> {
    return this.#run(async () => {
      const v = await this.client.hget(this.#doc(collection), id);
      return v === null ? undefined : (JSON.parse(v) as T);
    }, true);
  }

  put(collection: string, id: string, value: unknown): Promise<void> {
    return this.#run(async () => {
      await this.client.hset(this.#doc(collection), id, JSON.stringify(value));
      await this.#publish(collection, id);
    }, true);
  }

  insert(collection: string, id: string, value: unknown): Promise<boolean> {
    return this.#run(async () => {
      const ok = (await this.client.hsetnx(this.#doc(collection), id, JSON.stringify(value))) === 1;
      if (ok) await this.#publish(collection, id);
      return ok;
    }, true);
  }

  delete(collection: string, id: string): Promise<boolean> {
    return this.#run(async () => {
      const ok = (await this.client.hdel(this.#doc(collection), id)) === 1;
      if (ok) await this.#publish(collection, id);
      return ok;
    }, true);
  }

  list<T>(collection: string): Promise<{ id: string; value: T }[]> {
    return this.#run(async () => {
      const all = await this.client.hgetall(this.#doc(collection));
      return Object.keys(all)
        .sort()
        .map((id) => ({ id, value: JSON.parse(all[id] as string) as T }));
    }, true);
  }

  #counter(key: string, amount: number, limit: number | undefined, expiresAtMs: number): Promise<[number, string]> {
    const c = this.client as unknown as Scripts;
    return c.porticoCounter(
      `${this.prefix}ctr:${key}`,
      String(amount),
      limit === undefined ? '' : String(limit),
      String(expiresAtMs),
      String(this.#clock.now()),
    );
  }

  consume(key: string, amount: number, limit: number, expiresAtMs: number): Promise<{ ok: boolean; value: number }> {
    return this.#run(async () => {
      const [ok, value] = await this.#counter(key, amount, limit, expiresAtMs);
      return { ok: ok === 1, value: Number(value) };
    });
  }

  increment(key: string, amount: number, expiresAtMs: number): Promise<number> {
    return this.#run(async () => Number((await this.#counter(key, amount, undefined, expiresAtMs))[1]));
  }

  counter(key: string): Promise<number> {
    return this.#run(async () => {
      const [v, e] = await this.client.hmget(`${this.prefix}ctr:${key}`, 'v', 'e');
      return v !== null && e !== null && Number(e) > this.#clock.now() ? Number(v) : 0;
    });
  }

  addUsage(subject: string, day: string, amount: number): Promise<void> {
    return this.#run(async () => {
      await this.client.hincrby(`${this.prefix}usage:${subject}`, day, amount);
    });
  }

  usage(subject: string, fromDay: string, toDay: string): Promise<Record<string, number>> {
    return this.#run(async () => {
      const all = await this.client.hgetall(`${this.prefix}usage:${subject}`);
      const out: Record<string, number> = {};
      for (const day of Object.keys(all).sort()) if (day >= fromDay && day <= toDay) out[day] = Number(all[day]);
      return out;
    }, true);
  }

  deleteUsage(subject: string): Promise<void> {
    return this.#run(async () => {
      await this.client.del(`${this.prefix}usage:${subject}`);
    }, true);
  }

  /** Redis holds everything already (its own persistence settings decide durability: docs/cluster.md). */
  async flush(): Promise<void> {
    if (this.#closed) throw new Error(`the Redis store ${describeTarget(this.config)} is closed`);
  }

  /** A PING now, within store.commandTimeoutMs (not the health state, which a probe updates later). */
  async ping(): Promise<void> {
    if (this.#closed) throw new Error(`the Redis store ${describeTarget(this.config)} is closed`);
    await withTimeout(this.client.ping(), this.config.commandTimeoutMs);
  }

  /** For the admin status: Redis health and failure counts. */
  status(): Record<string, unknown> {
    return {
      kind: 'redis',
      target: describeTarget(this.config),
      keyPrefix: this.prefix,
      ...this.health.status(),
      failure: this.config.failure,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#resync);
    this.health.close();
    for (const c of [this.#sub, this.client]) {
      if (!c) continue;
      if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
      else c.disconnect();
    }
  }
}
