import type { ConfigFragment } from '../kernel/manifest.js';
import { configName, type Fields } from '../config/schema.js';
import { z } from 'zod';
import { listenerSchema } from './listener-schema.js';

/**
 * Config schema of named upstreams (`upstreams.<name>`) and of the per-route upstream options of an
 * http_proxy integration. Imported by src/config/schema.ts. docs/upstreams.md lists every option.
 */

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');

export const targetSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .describe(
        'Target base URL. A host name is resolved to all its A/AAAA addresses (DNS discovery), each a target of its own.',
      ),
    weight: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(1)
      .describe('Relative share of requests (0 = none). Changeable at runtime.'),
  })
  .describe('One upstream target.');

/** ALB-style status matcher: "200", "200-299", "200,202,300-399". */
export const MATCHER_RE = /^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/;

const healthCheckSchema = z
  .strictObject({
    path: z
      .string()
      .regex(/^\/[^\s]*$/, 'expected a path starting with "/"')
      .default('/')
      .describe('Path probed on each target.'),
    method: z.enum(['GET', 'HEAD']).default('GET').describe('Probe method.'),
    intervalMs: z
      .number()
      .int()
      .min(50)
      .max(300000)
      .default(30000)
      .describe('Time between probes of one target. ALB: 30 s.'),
    timeoutMs: z
      .number()
      .int()
      .min(10)
      .max(120000)
      .default(5000)
      .describe('A probe without a full answer by then fails. ALB: 5 s.'),
    healthyThreshold: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(5)
      .describe('Consecutive passed probes that make an unhealthy target healthy. ALB: 5.'),
    unhealthyThreshold: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(2)
      .describe('Consecutive failed probes that make a healthy target unhealthy. ALB: 2.'),
    matcher: z
      .string()
      .regex(MATCHER_RE, 'expected status codes such as "200", "200-299" or "200,202"')
      .default('200')
      .describe('Status codes that pass, as ALB writes them: "200", "200-299", "200,204".'),
    failOpen: z
      .boolean()
      .default(true)
      .describe('When every target is unhealthy, use them all (ALB fail-open). false = answer 503 instead.'),
  })
  .describe('Active health checks: each target is probed on its own timer.');

const outlierSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Eject targets that fail in a row.'),
    consecutiveFailures: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(5)
      .describe('Consecutive failures (connect errors, resets, timeouts, 5xx) that eject a target. Envoy: 5.'),
    baseEjectionMs: z
      .number()
      .int()
      .min(10)
      .default(30000)
      .describe('First ejection time; the n-th ejection in a row lasts n × this. Envoy: 30 s.'),
    maxEjectionMs: z.number().int().min(10).default(300000).describe('Longest ejection. Envoy: 300 s.'),
    maxEjectedPercent: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(50)
      .describe('Most targets ejected at once, in percent (at least one when there are two or more targets).'),
  })
  .prefault({})
  .describe('Passive health (outlier detection) from real traffic.');

const breakerSchema = z
  .strictObject({
    failureRatePercent: z
      .number()
      .min(1)
      .max(100)
      .default(50)
      .describe('Failure rate over the window at which the breaker opens.'),
    minRequests: z.number().int().min(1).default(20).describe('Fewest requests in the window before the rate counts.'),
    windowMs: z.number().int().min(100).default(10000).describe('Sliding window of the failure rate.'),
    openMs: z.number().int().min(10).default(30000).describe('Time open (fast 503s) before half-open probes.'),
    halfOpenRequests: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('Requests let through while half-open; all must succeed to close, any failure reopens.'),
  })
  .describe('Circuit breaker for the whole upstream: while open, requests get 503 at once.');

const retriesSchema = z
  .strictObject({
    attempts: z.number().int().min(0).max(10).default(2).describe('Retries after the first try (0 = none).'),
    statuses: z
      .array(z.number().int().min(500).max(599))
      .default([502, 503, 504])
      .describe('Upstream statuses that are retried (the body is discarded).'),
    backoffMs: z
      .number()
      .int()
      .min(0)
      .default(25)
      .describe('Backoff before the first retry; doubles per retry, with jitter.'),
    maxBackoffMs: z.number().int().min(0).default(250).describe('Largest backoff.'),
    budgetPercent: z
      .number()
      .min(0)
      .max(100)
      .default(20)
      .describe('Retries may add at most this share of requests over the last 10 s (retry budget).'),
    minRetries: z
      .number()
      .int()
      .min(0)
      .default(3)
      .describe('Retries always allowed per 10 s whatever the budget, so a quiet upstream can still retry.'),
    bufferBytes: z
      .number()
      .int()
      .min(0)
      .max(10 * 1024 * 1024)
      .default(65536)
      .describe('Request bodies up to this size are buffered so they can be replayed; larger ones are never retried.'),
  })
  .prefault({})
  .describe(
    'Retries of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) on connect errors, resets and statuses.',
  );

export const timeoutsSchema = z
  .strictObject({
    connectMs: z
      .number()
      .int()
      .min(10)
      .max(300000)
      .optional()
      .describe('Connect (and TLS handshake) timeout. Default 10 s.'),
    firstByteMs: z
      .number()
      .int()
      .min(10)
      .max(300000)
      .optional()
      .describe('Per try: time from sending the request to the response head. Default: the integration timeoutMs.'),
    totalMs: z
      .number()
      .int()
      .min(10)
      .max(3600000)
      .optional()
      .describe(
        'Whole exchange, all tries and the response body. Default: none. Past it: 504, or the connection is cut.',
      ),
  })
  .describe('Upstream timeouts; a route’s override the upstream’s.');

const balancerSchema = z
  .enum(['round-robin', 'least-requests', 'power-of-two', 'consistent-hash'])
  .describe(
    'round-robin: smooth weighted (nginx). least-requests: fewest in flight. power-of-two: best of two random. ' +
      'consistent-hash: a ring of virtual nodes keyed by `hashOn`.',
  );

const hashOnSchema = z
  .strictObject({
    source: z.enum(['header', 'cookie', 'clientIp', 'path']).describe('What the key is taken from.'),
    name: z.string().min(1).optional().describe('Header or cookie name (for header and cookie).'),
    virtualNodes: z.number().int().min(1).max(1000).default(160).describe('Ring points per unit of weight.'),
  })
  .describe('The key of consistent-hash balancing. A request without one falls back to round-robin.');

export const upstreamSchema = z
  .strictObject({
    targets: z.array(targetSchema).min(1, 'expected at least one target').describe('Targets.'),
    balancer: balancerSchema.default('round-robin'),
    hashOn: hashOnSchema.optional(),
    healthCheck: healthCheckSchema.optional(),
    outlierDetection: outlierSchema,
    circuitBreaker: breakerSchema.optional(),
    retries: retriesSchema,
    timeouts: timeoutsSchema.prefault({}),
    slowStartMs: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('A target that joins or becomes healthy ramps from 10 % to its full weight over this time (0 = off).'),
    dns: z
      .strictObject({
        refreshMs: z
          .number()
          .int()
          .min(50)
          .default(30000)
          .describe('Longest time between resolutions of a host name target.'),
        minRefreshMs: z
          .number()
          .int()
          .min(10)
          .default(1000)
          .describe('Shortest time between resolutions, whatever the TTL.'),
        servers: z
          .array(z.string().regex(/^[0-9a-fA-F:.[\]]+$/, 'expected IP or IP:port'))
          .optional()
          .describe('DNS servers to ask (IP or IP:port); default: the system’s.'),
      })
      .prefault({})
      .describe(
        'DNS discovery for host name targets: re-resolved on the record TTL, within [minRefreshMs, refreshMs].',
      ),
    tls: z
      .strictObject({
        caFile: z
          .string()
          .optional()
          .describe('PEM file of CAs to trust instead of the system CAs (relative to the config file).'),
        serverName: z.string().optional().describe('SNI and certificate name; default the target’s host name.'),
        certFile: z
          .string()
          .optional()
          .describe(
            'PEM client certificate (and its chain) sent to targets that ask for one (mTLS), relative to the config file.',
          ),
        keyFile: z.string().optional().describe('PEM private key of certFile.'),
        rejectUnauthorized: z
          .boolean()
          .default(true)
          .describe(
            'Verify the target’s certificate (against caFile or the system CAs) and name. false only for tests: it is logged.',
          ),
      })
      .prefault({})
      .superRefine((t, ctx) => {
        if (!!t.certFile !== !!t.keyFile)
          ctx.addIssue({
            code: 'custom',
            path: [t.certFile ? 'keyFile' : 'certFile'],
            message: 'certFile and keyFile go together (a client certificate and its private key)',
          });
      })
      .describe('TLS for https:// targets: the CAs to trust, SNI name, and a client certificate for mTLS.'),
  })
  .superRefine((u, ctx) => {
    if (u.balancer === 'consistent-hash' && !u.hashOn) {
      ctx.addIssue({
        code: 'custom',
        path: ['hashOn'],
        message: 'balancer consistent-hash needs hashOn: { source: header|cookie|clientIp|path }',
      });
    }
    if (u.hashOn && (u.hashOn.source === 'header' || u.hashOn.source === 'cookie') && !u.hashOn.name) {
      ctx.addIssue({
        code: 'custom',
        path: ['hashOn', 'name'],
        message: `hashOn.source ${u.hashOn.source} needs a name`,
      });
    }
    if (u.hashOn?.source === 'header' && u.hashOn.name && !headerName.safeParse(u.hashOn.name).success) {
      ctx.addIssue({ code: 'custom', path: ['hashOn', 'name'], message: 'expected an HTTP header name' });
    }
    const seen = new Set<string>();
    u.targets.forEach((t, i) => {
      if (seen.has(t.url))
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'url'], message: `duplicate target ${t.url}` });
      seen.add(t.url);
    });
  })
  .describe('A named pool of targets with balancing, health checks, retries and a circuit breaker.');

/** Fields spread into the http_proxy integration schema (per-route upstream options). */
export const routeUpstreamFields = {
  retryNonIdempotent: z
    .boolean()
    .default(false)
    .describe('Retry POST and PATCH too (only safe when the upstream deduplicates). Upstream integrations only.'),
  timeouts: timeoutsSchema
    .optional()
    .describe('Per-route upstream timeouts, overriding the upstream’s. Upstream integrations only.'),
  listener: configName
    .optional()
    .describe('Name of a listener under `listeners`: its rules pick the upstream (or a fixed response) per request.'),
};

export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type OutlierConfig = z.infer<typeof outlierSchema>;
export type BreakerConfig = z.infer<typeof breakerSchema>;
export type RetriesConfig = z.infer<typeof retriesSchema>;
export type TimeoutsConfig = z.infer<typeof timeoutsSchema>;
export type HashOnConfig = z.infer<typeof hashOnSchema>;

/** The upstreams' config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const UPSTREAM_CONFIG = {
  root: {
    upstreams: z.record(configName, upstreamSchema).default({}).describe('Named upstream pools.'),
    listeners: z
      .record(configName, listenerSchema)
      .default({})
      .describe('Named listeners: ALB-style rules (path and host patterns) in front of upstreams.'),
  },
  httpProxy: routeUpstreamFields,
} satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface RootFeatureFields extends Fields<{
    upstreams: z.ZodDefault<z.ZodRecord<typeof configName, typeof upstreamSchema>>;
    listeners: z.ZodDefault<z.ZodRecord<typeof configName, typeof listenerSchema>>;
  }> {}
  interface HttpProxyFeatureFields extends Fields<typeof routeUpstreamFields> {}
}
