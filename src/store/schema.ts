import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';

const redisUrl = z
  .string()
  .regex(/^rediss?:\/\/[^\s]+$/, 'expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379')
  .describe('A Redis URL: redis://[user:password@]host:port[/db] (rediss:// for TLS).');

const hostPort = z
  .strictObject({
    host: z.string().min(1).describe('Host name or address.'),
    port: z.number().int().min(1).max(65535).describe('TCP port.'),
  })
  .describe('A Redis node.');

const failureSchema = z
  .strictObject({
    throttle: z
      .enum(['local', 'open', 'closed'])
      .default('local')
      .describe(
        'When Redis cannot answer a throttle check: local = local token buckets with each limit divided by ' +
          'store.expectedNodes; open = admit; closed = 503 Service Unavailable.',
      ),
    quota: z
      .enum(['open', 'closed'])
      .default('open')
      .describe(
        'When Redis cannot answer a quota check: open = admit, with a logged and metered warning; closed = 503.',
      ),
    keys: z
      .enum(['cache', 'closed'])
      .default('cache')
      .describe(
        'API key lookups while Redis is down: cache = keep using the keys this node holds (synced by pub/sub, ' +
          'resynced on reconnect); closed = refuse keyed requests with 403.',
      ),
  })
  .prefault({})
  .describe('What each feature does while Redis is unreachable or slower than commandTimeoutMs.');

const embeddedStore = z
  .strictObject({
    kind: z.literal('embedded').describe('In-process counters with SQLite (<dataDir>/portico.db) for durable data.'),
  })
  .describe('The embedded store (default): one process or --workers on one host.');

const redisStore = z
  .strictObject({
    kind: z.literal('redis').describe('Redis: several nodes share keys, usage, token buckets and quotas.'),
    url: redisUrl.default('redis://127.0.0.1:6379'),
    keyPrefix: z
      .string()
      .regex(/^[\x21-\x7e]{0,64}$/, 'expected up to 64 printable characters without spaces')
      .default('portico:')
      .describe('Prefix of every Redis key and channel, so several gateways can share one Redis.'),
    commandTimeoutMs: z
      .number()
      .int()
      .min(1)
      .max(60_000)
      .default(50)
      .describe('Each Redis command on the request path fails after this long; then the failure policy applies.'),
    connectTimeoutMs: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe('Connection timeout; also how long startup waits for Redis.'),
    probeIntervalMs: z
      .number()
      .int()
      .min(10)
      .default(250)
      .describe(
        'While Redis is marked down, how often it is pinged to detect recovery (requests skip Redis meanwhile).',
      ),
    expectedNodes: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('How many gateway nodes share the limits; the local fallback divides each throttle limit by it.'),
    resyncIntervalMs: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe(
        'Full reload of API keys from Redis this often, in case a change message was lost (0 = only on reconnect).',
      ),
    sentinels: z
      .array(hostPort)
      .optional()
      .describe('Redis Sentinel nodes; with `name`, the master is found through them (ioredis sentinels).'),
    name: z.string().optional().describe('Sentinel master name.'),
    cluster: z
      .array(hostPort)
      .optional()
      .describe('Redis Cluster seed nodes (ioredis Cluster). Limiter keys share one hash tag so a check stays atomic.'),
    options: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('More ioredis options (password, username, tls, db, ...), passed through as given.'),
    failure: failureSchema,
  })
  .describe('A Redis store (ioredis): for clusters of gateway nodes.');

export const storeSchema = z
  .discriminatedUnion('kind', [embeddedStore, redisStore])
  .default({ kind: 'embedded' })
  .describe('Where keys, usage, token buckets and quotas live: embedded (default) or redis. docs/cluster.md.');

export type StoreConfig = z.infer<typeof storeSchema>;
export type RedisStoreConfig = Extract<StoreConfig, { kind: 'redis' }>;
export type FailurePolicy = RedisStoreConfig['failure'];

/** The store's config field (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const STORE_CONFIG = { root: { store: storeSchema } } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface RootFeatureFields extends Fields<{ store: typeof storeSchema }> {}
}
