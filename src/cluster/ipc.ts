import type { Level, Verdict } from '../throttle/gcra.js';
import type { Limiter } from '../throttle/limiter.js';
import type { Store, StoreChangeListener } from '../store/store.js';

/**
 * Messages between the primary of `portico start --workers N` and its workers (node:cluster IPC).
 * Workers keep no counters of their own: every token bucket and quota check is one round trip to
 * the primary, which holds the only EmbeddedStore and RateLimiter, so limits are exact across
 * workers instead of divided among them.
 */
export type ToPrimary =
  | { t: 'store'; id: number; op: StoreOp; args: unknown[] }
  | { t: 'limit'; id: number; levels: { key: string; rate: number; burst: number }[] }
  | { t: 'ready'; url: string; adminUrl: string }
  | { t: 'reloaded'; hash: string }
  | { t: 'restart' }
  /** GET /metrics on a worker: the primary collects every worker's registry and answers the aggregate text. */
  | { t: 'metrics'; id: number }
  /** A worker's registry (prom-client getMetricsAsJSON), answering 'metrics-collect' number `req`. */
  | { t: 'metrics-part'; req: number; metrics: unknown[] };

export type ToWorker =
  | { t: 'res'; id: number; ok: true; value: unknown }
  | { t: 'res'; id: number; ok: false; error: string }
  | { t: 'change'; c: string; id: string | undefined }
  | { t: 'reload'; reason: string }
  /** SIGUSR1 reached the primary: reopen access log files (logrotate). */
  | { t: 'reopen' }
  /** handover: a rolling restart (another worker keeps serving), see Gateway.close. */
  | { t: 'shutdown'; handover?: boolean }
  /** Send your registry as 'metrics-part' with this `req`. */
  | { t: 'metrics-collect'; req: number };

export const STORE_OPS = [
  'get',
  'put',
  'insert',
  'delete',
  'list',
  'consume',
  'increment',
  'counter',
  'addUsage',
  'usage',
  'deleteUsage',
  'flush',
  'ping',
] as const;
export type StoreOp = (typeof STORE_OPS)[number];

/** A limit verdict on the wire: the level by its index in the request's list. */
export type WireVerdict = { ok: true; remaining: number; i: number } | { ok: false; retryAfterMs: number; i: number };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** True in a worker started by `portico start --workers N`. */
export function isPorticoWorker(): boolean {
  return process.env.PORTICO_WORKER === '1' && typeof process.send === 'function';
}

/** The worker's side of the channel: request/response by id, and the primary's broadcasts. */
export class PrimaryChannel {
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #listeners: ((m: ToWorker) => void)[] = [];

  constructor() {
    process.on('message', (m: ToWorker) => {
      if (m?.t === 'res') {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(m.error));
      } else for (const fn of this.#listeners) fn(m);
    });
    process.on('disconnect', () => {
      for (const p of this.#pending.values()) p.reject(new Error('the primary process is gone'));
      this.#pending.clear();
    });
  }

  on(fn: (m: ToWorker) => void): void {
    this.#listeners.push(fn);
  }

  send(m: ToPrimary): void {
    process.send?.(m);
  }

  request<T>(m: WithoutId<Extract<ToPrimary, { id: number }>>): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (!process.send?.({ ...m, id } as ToPrimary)) {
        this.#pending.delete(id);
        reject(new Error('the primary process is gone'));
      }
    });
  }
}

let channel: PrimaryChannel | undefined;
export function primaryChannel(): PrimaryChannel {
  channel ??= new PrimaryChannel();
  return channel;
}

/** The Store of a worker: every call is answered by the primary's EmbeddedStore. */
export class IpcStore implements Store {
  readonly kind = 'embedded-workers';
  readonly #ch: PrimaryChannel;
  #closed = false;

  constructor(ch: PrimaryChannel) {
    this.#ch = ch;
  }

  #call<T>(op: StoreOp, args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'));
    return this.#ch.request<T>({ t: 'store', op, args });
  }

  get<T>(collection: string, id: string): Promise<T | undefined> {
    return this.#call('get', [collection, id]);
  }
  put(collection: string, id: string, value: unknown): Promise<void> {
    return this.#call('put', [collection, id, value]);
  }
  insert(collection: string, id: string, value: unknown): Promise<boolean> {
    return this.#call('insert', [collection, id, value]);
  }
  delete(collection: string, id: string): Promise<boolean> {
    return this.#call('delete', [collection, id]);
  }
  list<T>(collection: string): Promise<{ id: string; value: T }[]> {
    return this.#call('list', [collection]);
  }
  consume(key: string, amount: number, limit: number, expiresAtMs: number): Promise<{ ok: boolean; value: number }> {
    return this.#call('consume', [key, amount, limit, expiresAtMs]);
  }
  increment(key: string, amount: number, expiresAtMs: number): Promise<number> {
    return this.#call('increment', [key, amount, expiresAtMs]);
  }
  counter(key: string): Promise<number> {
    return this.#call('counter', [key]);
  }
  addUsage(subject: string, day: string, amount: number): Promise<void> {
    return this.#call('addUsage', [subject, day, amount]);
  }
  usage(subject: string, fromDay: string, toDay: string): Promise<Record<string, number>> {
    return this.#call('usage', [subject, fromDay, toDay]);
  }
  deleteUsage(subject: string): Promise<void> {
    return this.#call('deleteUsage', [subject]);
  }
  flush(): Promise<void> {
    return this.#call('flush', []);
  }
  /** A round trip to the primary, which pings its EmbeddedStore. */
  ping(): Promise<void> {
    return this.#call('ping', []);
  }
  onChange(listener: StoreChangeListener): void {
    this.#ch.on((m) => {
      if (m.t === 'change') listener(m.c, m.id);
    });
  }
  /** The primary owns the file; a worker only stops asking. */
  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** The Limiter of a worker: the primary's RateLimiter decides, so N workers share one bucket per key. */
export class IpcLimiter implements Limiter {
  readonly #ch: PrimaryChannel;

  constructor(ch: PrimaryChannel) {
    this.#ch = ch;
  }

  attempt(levels: readonly Level[]): Promise<Verdict> {
    const wire = levels.map((l) => ({ key: l.key, rate: l.limit.rate, burst: l.limit.burst }));
    return this.#ch.request<WireVerdict>({ t: 'limit', levels: wire }).then((v) => {
      const level = levels[v.i];
      return v.ok
        ? { ok: true, remaining: v.remaining, level }
        : { ok: false, retryAfterMs: v.retryAfterMs, level: level as Level };
    });
  }

  close(): void {}
}
