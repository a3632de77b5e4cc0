import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { StoreUnavailableError, withTimeout } from '../store/health.js';
import type { RedisStore } from '../store/redis.js';
import { type Level, RateLimiter, type Verdict } from './gcra.js';
import type { Limiter } from './limiter.js';

/**
 * GCRA over every level of a request in one script, on Redis server time (TIME), so the clocks of
 * the nodes don't matter. Same arithmetic as gcra.ts: admitted when TAT + T - now <= burst * T.
 * KEYS: the buckets; ARGV: T (ms) and burst per bucket. Returns {1, tightest index, remaining} or
 * {0, refusing index, ms until a token}.
 */
const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local eps = 1e-6
local remaining = -1
local tight = 0
local tats = {}
for i = 1, #KEYS do
  local T = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  local over = tat + T - now - burst * T
  if over > eps then return {0, i, string.format('%.17g', over)} end
  local left = math.floor((burst * T - (tat + T - now)) / T + eps)
  if remaining < 0 or left < remaining then
    remaining = left
    tight = i
  end
end
for i = 1, #KEYS do
  local nt = tats[i] + tonumber(ARGV[2 * i - 1])
  redis.call('SET', KEYS[i], string.format('%.17g', nt), 'PX', math.ceil(nt - now) + 1)
end
return {1, tight, string.format('%.17g', remaining)}
`;

interface Scripts {
  porticoGcra(...args: (string | number)[]): Promise<[number, number, string]>;
}

const OPEN: Verdict = { ok: true, remaining: 0, level: undefined };
/** Warnings about fallbacks at most this often. */
const WARN_EVERY_MS = 10_000;

/**
 * Token buckets shared by every node through Redis. When Redis can't answer (StoreHealth down, or a
 * command failed or timed out), store.failure.throttle decides: `local` checks a local bucket whose
 * rate and burst are the limit divided by store.expectedNodes; `open` admits; `closed` rejects with
 * StoreUnavailableError (the throttle policy answers 503).
 */
export class RedisLimiter implements Limiter {
  readonly #store: RedisStore;
  readonly #local: RateLimiter;
  readonly #log: Logger;
  readonly #scaled = new Map<string, Level>();
  readonly #nodes: number;
  #warned = 0;

  constructor(store: RedisStore, clock: Clock, log: Logger) {
    this.#store = store;
    this.#local = new RateLimiter(clock);
    this.#log = log;
    this.#nodes = store.config.expectedNodes;
    store.client.defineCommand('porticoGcra', { lua: GCRA_LUA });
  }

  attempt(levels: readonly Level[]): Verdict | Promise<Verdict> {
    if (levels.length === 0) return OPEN;
    if (!this.#store.health.up) {
      try {
        return this.#fallback(levels, undefined);
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    const args: (string | number)[] = [levels.length];
    const p = this.#store.limiterPrefix;
    for (const l of levels) args.push(p + l.key);
    for (const l of levels) args.push(1000 / l.limit.rate, l.limit.burst);
    const health = this.#store.health;
    return withTimeout(
      (this.#store.client as unknown as Scripts).porticoGcra(...args),
      this.#store.config.commandTimeoutMs,
    ).then(
      ([ok, i, n]) => {
        health.succeeded();
        const level = levels[i - 1];
        if (ok === 1) return { ok: true, remaining: Number(n), level };
        return { ok: false, retryAfterMs: Number(n), level: level as Level };
      },
      (err: Error) => {
        if (err.name === 'ReplyError' && !/^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY)/.test(err.message))
          throw err;
        this.#store.health.fail(err);
        return this.#fallback(levels, err);
      },
    );
  }

  #fallback(levels: readonly Level[], err: Error | undefined): Verdict {
    const policy = this.#store.config.failure.throttle;
    this.#store.health.countFallback(`throttle_${policy}`);
    const now = Date.now();
    if (now - this.#warned > WARN_EVERY_MS) {
      this.#warned = now;
      this.#log.warn({ policy, error: err?.message }, 'throttle: Redis unavailable; applying store.failure.throttle');
    }
    if (policy === 'open') return OPEN;
    if (policy === 'closed')
      throw new StoreUnavailableError('Redis is unavailable and store.failure.throttle is closed');
    return this.#local.attempt(levels.map((l) => this.#scale(l)));
  }

  /** The level with rate and burst divided among the expected nodes (at least one token of burst). */
  #scale(level: Level): Level {
    const key = `${level.key}\n${level.limit.rate}\n${level.limit.burst}`;
    let s = this.#scaled.get(key);
    if (!s) {
      const n = this.#nodes;
      s = {
        key: level.key,
        label: level.label,
        limit: { rate: level.limit.rate / n, burst: Math.max(1, Math.floor(level.limit.burst / n)) },
      };
      if (this.#scaled.size > 10_000) this.#scaled.clear();
      this.#scaled.set(key, s);
    }
    return s;
  }

  close(): void {
    this.#local.close();
  }
}
