import type { ConfigFragment } from '../kernel/manifest.js';
import { type Fields, listen } from '../config/schema.js';
import { z } from 'zod';
import { compileAccessLogFormat } from './access-log-format.js';

/**
 * Config schema of observability: `observability` (metrics, access log, tracing, alarms),
 * `server.requestId` and `admin.metricsPublic`. Imported by src/config/schema.ts.
 * docs/observability.md lists every option with its default.
 */

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a name of letters, digits, "_", "." or "-" (max 128)');

/** `server.requestId`: where request ids come from. */
export const requestIdSchema = z
  .strictObject({
    header: headerName
      .optional()
      .describe(
        'Take the request id from this incoming header (e.g. x-request-id) when it is present, trusted and well-formed ' +
          '(1-128 chars of [A-Za-z0-9._:@+=/-]). Unset: always generate a UUID.',
      ),
    trustFrom: z
      .enum(['trustedProxies', 'any'])
      .default('trustedProxies')
      .describe('Whose header is believed: only peers in server.trustedProxies, or any client.'),
  })
  .prefault({})
  .describe('Request ids: generated per request (UUID) or taken from a trusted incoming header.');

/** `admin.metricsPublic`. */
export const metricsPublicField = z
  .boolean()
  .default(false)
  .describe('Serve GET /metrics on the admin listener without the bearer token (for scrapers that cannot send one).');

const metricsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Collect request metrics and serve them at GET /metrics on the admin listener.'),
    latencyBuckets: z
      .array(z.number().positive())
      .min(1)
      .default([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
      .describe('Histogram bucket bounds, in seconds, of the gateway and integration latency histograms.'),
    processMetrics: z
      .boolean()
      .default(true)
      .describe('Also export Node process metrics (CPU, memory, event loop lag, GC).'),
    listen: listen
      .optional()
      .describe(
        'A listener of its own, HOST:PORT, serving only GET /metrics, /healthz and /readyz, without the token ' +
          '(for a scraper or probes on another host; the admin API stays where it is). Unset: none.',
      ),
  })
  .prefault({})
  .describe('Prometheus metrics.');

const accessLogSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Write one line per request after the response.'),
    format: z
      .string()
      .min(1)
      .check((ctx) => {
        const f = compileAccessLogFormat(ctx.value);
        if ('errors' in f)
          for (const message of f.errors) ctx.issues.push({ code: 'custom', message, input: ctx.value });
      })
      .default('json')
      .describe(
        '"json" (one JSON object per line), "clf" (AWS\'s Common Log Format example) or a template with ' +
          '$context.* variables, which must contain $context.requestId or $context.extendedRequestId (as AWS requires).',
      ),
    destination: z
      .string()
      .min(1)
      .default('stdout')
      .describe(
        '"stdout", "stderr" or a file path (relative to the config file). A file is reopened on SIGUSR1 (logrotate).',
      ),
  })
  .prefault({})
  .describe('Access logs. API keys appear only as key ids; request headers are never logged.');

const otlpSchema = z
  .strictObject({
    endpoint: httpUrl.describe('OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces (JSON encoding).'),
    headers: z
      .record(headerName, z.string())
      .default({})
      .describe('Extra headers on every export request (e.g. an auth token).'),
    serviceName: z.string().min(1).default('portico').describe('service.name resource attribute.'),
    sampleRatio: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        'Share of new traces (no sampled parent) that are exported. A sampled traceparent from the client is always followed.',
      ),
    maxBatchSize: z.number().int().min(1).max(10000).default(512).describe('Spans per export request.'),
    maxQueueSize: z
      .number()
      .int()
      .min(1)
      .default(8192)
      .describe('Spans held while the collector is slow; more are dropped and counted.'),
    flushIntervalMs: z
      .number()
      .int()
      .min(10)
      .default(2000)
      .describe('Longest time a span waits before it is exported.'),
    timeoutMs: z.number().int().min(10).default(5000).describe('Timeout of one export request.'),
  })
  .describe('OpenTelemetry export over OTLP/HTTP with JSON encoding.');

const tracingSchema = z
  .strictObject({
    otlp: otlpSchema
      .optional()
      .describe('Export spans (request, authorizer, cache, integration). Unset: no export and no span objects.'),
  })
  .prefault({})
  .describe('W3C trace context (traceparent/tracestate) is always propagated to upstreams; export is optional.');

const alarmRuleSchema = z
  .strictObject({
    name: name.describe('Alarm name, shown in the webhook and logs.'),
    metric: z
      .enum(['5xxRate', '4xxRate', 'count', 'healthyTargets'])
      .describe(
        '5xxRate/4xxRate: share of requests with that status class over the window (0-1); count: requests in the window; ' +
          'healthyTargets: healthy targets of `upstream` now.',
      ),
    api: name.optional().describe('Only requests of this API (rates and count). Unset: all APIs.'),
    stage: z.string().optional().describe('Only requests of this stage (with api).'),
    upstream: name.optional().describe('The upstream for healthyTargets.'),
    comparison: z.enum(['>', '>=', '<', '<=']).default('>').describe('How the value is compared with the threshold.'),
    threshold: z.number().describe('The alarm fires when `value comparison threshold` holds.'),
    windowSeconds: z.number().int().min(1).max(86400).default(60).describe('Window of the rates and count.'),
    minRequests: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe('Rates are not evaluated on fewer requests than this in the window.'),
    cooldownSeconds: z
      .number()
      .int()
      .min(0)
      .default(300)
      .describe('After firing, the alarm stays quiet this long even if it still holds.'),
  })
  .describe('A threshold rule on the metrics.');

const alarmsSchema = z
  .strictObject({
    evaluateEverySeconds: z.number().int().min(1).default(10).describe('How often the rules are evaluated.'),
    webhook: z
      .strictObject({
        url: httpUrl.describe('Receives a JSON POST when an alarm fires.'),
        headers: z.record(headerName, z.string()).default({}).describe('Extra headers on the POST.'),
        timeoutMs: z.number().int().min(10).default(5000).describe('Timeout of the POST.'),
      })
      .optional()
      .describe('Webhook for alarms. Unset: alarms are only logged.'),
    rules: z.array(alarmRuleSchema).default([]).describe('The rules.'),
  })
  .prefault({})
  .describe('Threshold alarms evaluated in-process.');

/** The top-level `observability` key. */
export const observabilitySchema = z
  .strictObject({ metrics: metricsSchema, accessLog: accessLogSchema, tracing: tracingSchema, alarms: alarmsSchema })
  .prefault({})
  .describe('Metrics, access logs, tracing and alarms (docs/observability.md).');

export type ObservabilityConfig = z.infer<typeof observabilitySchema>;
export type AccessLogConfig = ObservabilityConfig['accessLog'];
export type OtlpConfig = NonNullable<ObservabilityConfig['tracing']['otlp']>;
export type AlarmRuleConfig = ObservabilityConfig['alarms']['rules'][number];
export type AlarmsConfig = ObservabilityConfig['alarms'];
export type RequestIdConfig = z.infer<typeof requestIdSchema>;

/** Observability's config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const OBSERVABILITY_CONFIG = {
  server: { requestId: requestIdSchema },
  admin: { metricsPublic: metricsPublicField },
  root: { observability: observabilitySchema },
} satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface ServerFeatureFields extends Fields<{ requestId: typeof requestIdSchema }> {}
  interface AdminFeatureFields extends Fields<{ metricsPublic: typeof metricsPublicField }> {}
  interface RootFeatureFields extends Fields<{ observability: typeof observabilitySchema }> {}
}
