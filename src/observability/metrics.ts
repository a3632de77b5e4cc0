import { TUNNELS } from '../forward/tunnel.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PorticoConfig } from '../config/schema.js';
import type { RequestContext, Snapshot } from '../pipeline/context.js';
import type { PoolRegistry } from '../forward/pools.js';
import type { Service } from '../services.js';
import { type TemplateWaf, wafAction } from '../template.js';
import { finishTime } from './finish.js';
import type { ObservabilityConfig } from './schema.js';
import {
  AUTH_FAILURES,
  BREAKER_VALUE,
  ROUTE_LABELS,
  CLASS_LABELS,
  classIndex,
  routeLabel,
  type CacheEvent,
  type BreakerState,
  type Series,
  type SeriesAndTotals,
  type Totals,
} from './labels.js';

/**
 * Prometheus metrics (prom-client, on its own registry). Per-request series are derived from the
 * finished request in a requestDone hook; other features report what a request cannot show
 * (cache, upstream health, breakers) through the methods below. docs/observability.md lists the API.
 *
 * Labels are bounded: the route label is the route *template* ("/pets/{id}", "$default"), never the
 * raw path, and status is a class ("2xx"), so the series count is routes × stages × methods × 5.
 */

export class MetricsService implements Service {
  readonly registry = new Registry();
  #pools: PoolRegistry;
  #series = new Map<string, Series>();
  #totals = new Map<string, Totals>();
  /** Per route pipeline: by method, then by status class (classIndex), the series and the api/stage totals. */
  #byPipeline = new WeakMap<object, Map<string, SeriesAndTotals[]>>();
  #health = new Map<string, Map<string, boolean>>();
  #originToUpstream = new Map<string, string>();
  #inflightSources: (() => Iterable<readonly [string, string, number]>)[] = [];

  readonly #requests: Counter<'api' | 'stage' | 'route' | 'method' | 'status_class'>;
  readonly #latency: Histogram<'api' | 'stage' | 'route' | 'method'>;
  readonly #integrationLatency: Histogram<'api' | 'stage' | 'route' | 'method'>;
  readonly #gatewayResponses: Counter<'api' | 'stage' | 'route' | 'type'>;
  readonly #throttled: Counter<'api' | 'stage' | 'route'>;
  readonly #quota: Counter<'api' | 'stage' | 'route'>;
  readonly #authFailures: Counter<'api' | 'stage' | 'route' | 'reason'>;
  readonly #cache: Counter<'api' | 'stage' | 'route' | 'event'>;
  readonly #upstreamErrors: Counter<'upstream' | 'target' | 'kind'>;
  readonly #targetHealth: Gauge<'upstream' | 'target'>;
  readonly #breaker: Gauge<'upstream' | 'target'>;
  readonly #reloads: Counter<'result'>;
  readonly #wafRequests: Counter<'api' | 'stage' | 'action'>;
  readonly #wafRules: Counter<'api' | 'stage' | 'rule' | 'action'>;
  readonly #revision: Gauge;

  constructor(config: ObservabilityConfig['metrics'], pools: PoolRegistry) {
    this.#pools = pools;
    const registers = [this.registry];
    const buckets = config.latencyBuckets;
    this.#requests = new Counter({
      name: 'portico_requests_total',
      help: 'Requests by API, stage, route template, method and status class (AWS Count, 4XXError, 5XXError).',
      labelNames: [...ROUTE_LABELS, 'status_class'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'portico_request_duration_seconds',
      help: 'Time from the request to the end of the response (AWS Latency).',
      labelNames: ROUTE_LABELS,
      buckets,
      registers,
    });
    this.#integrationLatency = new Histogram({
      name: 'portico_integration_duration_seconds',
      help: 'Time from sending the request upstream to the end of its response (AWS IntegrationLatency).',
      labelNames: ROUTE_LABELS,
      buckets,
      registers,
    });
    this.#gatewayResponses = new Counter({
      name: 'portico_gateway_responses_total',
      help: 'Responses the gateway made itself, by gateway response type (THROTTLED, INTEGRATION_TIMEOUT, ...).',
      labelNames: ['api', 'stage', 'route', 'type'],
      registers,
    });
    this.#throttled = new Counter({
      name: 'portico_throttled_requests_total',
      help: 'Requests refused with 429 THROTTLED.',
      labelNames: ['api', 'stage', 'route'],
      registers,
    });
    this.#quota = new Counter({
      name: 'portico_quota_exceeded_requests_total',
      help: 'Requests refused with 429 QUOTA_EXCEEDED.',
      labelNames: ['api', 'stage', 'route'],
      registers,
    });
    this.#authFailures = new Counter({
      name: 'portico_auth_failures_total',
      help: 'Requests refused by authentication or authorization, by reason (the gateway response type).',
      labelNames: ['api', 'stage', 'route', 'reason'],
      registers,
    });
    this.#cache = new Counter({
      name: 'portico_cache_events_total',
      help: 'Response cache hits, misses and evictions (AWS CacheHitCount, CacheMissCount).',
      labelNames: ['api', 'stage', 'route', 'event'],
      registers,
    });
    this.#upstreamErrors = new Counter({
      name: 'portico_upstream_errors_total',
      help: 'Failed upstream requests by target and kind (timeout, failure).',
      labelNames: ['upstream', 'target', 'kind'],
      registers,
    });
    this.#targetHealth = new Gauge({
      name: 'portico_upstream_target_healthy',
      help: 'Upstream target health: 1 healthy, 0 unhealthy (with --workers: 0 if any worker sees it unhealthy).',
      labelNames: ['upstream', 'target'],
      registers,
      aggregator: 'min',
    });
    this.#breaker = new Gauge({
      name: 'portico_upstream_breaker_state',
      help: 'Circuit breaker state per target: 0 closed, 1 open, 2 half-open (with --workers: the highest).',
      labelNames: ['upstream', 'target'],
      registers,
      aggregator: 'max',
    });
    const pool = this.#pools;
    const originToUpstream = this.#originToUpstream;
    const sources = this.#inflightSources;
    new Gauge({
      name: 'portico_upstream_inflight_requests',
      help: 'Requests running or queued on an upstream origin now.',
      labelNames: ['upstream', 'target'],
      registers,
      collect() {
        this.reset();
        for (const [origin, s] of pool.stats()) {
          this.set({ upstream: originToUpstream.get(origin) ?? '', target: origin }, s.running + s.pending);
        }
        for (const source of sources) for (const [upstream, target, n] of source()) this.set({ upstream, target }, n);
      },
    });
    new Gauge({
      name: 'portico_websocket_connections',
      help: 'Upgraded (WebSocket) connections open now.',
      registers,
      collect() {
        this.set(TUNNELS.open);
      },
    });
    new Counter({
      name: 'portico_websocket_connections_total',
      help: 'Upgraded (WebSocket) connections opened since start.',
      registers,
      collect() {
        this.reset();
        this.inc(TUNNELS.opened);
      },
    });
    this.#wafRequests = new Counter({
      name: 'portico_waf_requests_total',
      help: 'Requests the WAF inspected, by its action (ALLOW, BLOCK, or COUNT: let through with count rules matched).',
      labelNames: ['api', 'stage', 'action'],
      registers,
    });
    this.#wafRules = new Counter({
      name: 'portico_waf_rule_matches_total',
      help: 'WAF rule matches by rule id (from config; group rules as "rule:groupRule") and the action it took.',
      labelNames: ['api', 'stage', 'rule', 'action'],
      registers,
    });
    this.#reloads = new Counter({
      name: 'portico_config_reloads_total',
      help: 'Config reloads that swapped in a new config (ok) or were rejected (failed); with --workers, per worker (the highest).',
      labelNames: ['result'],
      registers,
      aggregator: 'max',
    });
    this.#reloads.inc({ result: 'ok' }, 0);
    this.#reloads.inc({ result: 'failed' }, 0);
    this.#revision = new Gauge({
      name: 'portico_config_revision',
      help: 'Revision of the config serving now (1 at start); with --workers, the lowest any worker serves.',
      registers,
      aggregator: 'min',
    });
    this.#revision.set(1);
    if (config.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'portico_' });
  }

  /** The requestDone hook: one finished request. */
  readonly observe = (ctx: RequestContext): void => {
    const end = finishTime(ctx);
    const api = ctx.api?.name ?? '';
    const stage = ctx.stage?.name ?? '';
    const route = routeLabel(ctx);
    const { series: s, totals: t } = this.#seriesOf(ctx, api, stage, route);
    s.requests.inc();
    s.latency.observe((end - ctx.startTimeMs) / 1000);
    if (ctx.integrationStartMs && ctx.integrationEndMs)
      s.integration.observe((ctx.integrationEndMs - ctx.integrationStartMs) / 1000);
    t.count++;
    const status = ctx.status;
    if (status >= 400 && status < 500) t.c4xx++;
    else if (status >= 500 && status < 600) t.c5xx++;

    const type = ctx.errorResponseType;
    if (type) {
      this.#gatewayResponses.inc({ api, stage, route, type });
      if (type === 'THROTTLED') this.#throttled.inc({ api, stage, route });
      else if (type === 'QUOTA_EXCEEDED') this.#quota.inc({ api, stage, route });
      // A route miss is MISSING_AUTHENTICATION_TOKEN too (REST): only a matched route makes it an auth failure.
      else if (AUTH_FAILURES.has(type) && ctx.route) this.#authFailures.inc({ api, stage, route, reason: type });
    }
    if (ctx.waf) this.wafDecision(api, stage, ctx.waf);
    if (ctx.upstreamOrigin && ctx.integrationEndMs && !ctx.integrationStatus && ctx.integrationError) {
      const code = (ctx.integrationError as NodeJS.ErrnoException).code ?? '';
      const kind = type === 'INTEGRATION_TIMEOUT' || code.endsWith('TIMEOUT') ? 'timeout' : 'failure';
      this.upstreamError(this.#originToUpstream.get(ctx.upstreamOrigin) ?? '', ctx.upstreamOrigin, kind);
    }
  };

  /**
   * A request's series and its api/stage totals. A matched route's are found through its pipeline (one per
   * route and stage, so its labels are fixed), then by method and status class: no label string is built
   * or hashed per request. Requests without a route (404s, early refusals) take the keyed path.
   */
  #seriesOf(ctx: RequestContext, api: string, stage: string, route: string): SeriesAndTotals {
    const cls = classIndex(ctx.status);
    const pipeline = ctx.pipeline;
    if (pipeline) {
      let p = this.#byPipeline.get(pipeline);
      if (!p) this.#byPipeline.set(pipeline, (p = new Map()));
      let byClass = p.get(ctx.method);
      if (!byClass) p.set(ctx.method, (byClass = []));
      return (byClass[cls] ??= {
        series: this.#keyedSeries(api, stage, route, ctx.method, cls),
        totals: this.#totalsOf(api, stage),
      });
    }
    return { series: this.#keyedSeries(api, stage, route, ctx.method, cls), totals: this.#totalsOf(api, stage) };
  }

  #keyedSeries(api: string, stage: string, route: string, method: string, cls: number): Series {
    const statusClassLabel = CLASS_LABELS[cls] as string;
    const key = `${api}\t${stage}\t${route}\t${method}\t${statusClassLabel}`;
    let s = this.#series.get(key);
    if (!s) {
      const labels = { api, stage, route, method };
      s = {
        requests: this.#requests.labels({ ...labels, status_class: statusClassLabel }),
        latency: this.#latency.labels(labels),
        integration: this.#integrationLatency.labels(labels),
      };
      this.#series.set(key, s);
    }
    return s;
  }

  #totalsOf(api: string, stage: string): Totals {
    const tk = `${api}\t${stage}`;
    let t = this.#totals.get(tk);
    if (!t) this.#totals.set(tk, (t = { count: 0, c4xx: 0, c5xx: 0 }));
    return t;
  }

  /** The WAF's decision for one request (ctx.waf): the request by action, and each matched rule. */
  wafDecision(api: string, stage: string, w: TemplateWaf): void {
    this.#wafRequests.inc({ api, stage, action: wafAction(w) });
    for (const rule of w.ruleIds) {
      // A matched rule either counted or ended the evaluation with the ACL's action.
      this.#wafRules.inc({ api, stage, rule, action: w.countedRuleIds.includes(rule) ? 'COUNT' : w.action });
    }
  }

  /** A response cache event on a route (call from the cache policy). Eviction: route may be "". */
  cacheEvent(api: string, stage: string, route: string, event: CacheEvent, n = 1): void {
    this.cacheCounter(api, stage, route, event).inc(n);
  }

  /** The counter of one cache event on a route, for callers that count it often (StageCache keeps it). */
  cacheCounter(api: string, stage: string, route: string, event: CacheEvent): { inc(n?: number): void } {
    return this.#cache.labels({ api, stage, route, event });
  }

  /** A target's health changed (active or passive checks). Also feeds the healthyTargets alarm. */
  upstreamTargetHealth(upstream: string, target: string, healthy: boolean): void {
    this.#targetHealth.set({ upstream, target }, healthy ? 1 : 0);
    let m = this.#health.get(upstream);
    if (!m) this.#health.set(upstream, (m = new Map()));
    m.set(target, healthy);
  }

  /** A target left the upstream (DNS change, reload): drop its series. */
  upstreamTargetRemoved(upstream: string, target: string): void {
    this.#targetHealth.remove({ upstream, target });
    this.#breaker.remove({ upstream, target });
    this.#health.get(upstream)?.delete(target);
  }

  /**
   * Adds a source of in-flight counts read at scrape time: [upstream, target, requests] rows (the
   * upstream registry's endpoints). Pools of `uri` integrations are read without one.
   */
  inflightSource(source: () => Iterable<readonly [string, string, number]>): void {
    this.#inflightSources.push(source);
  }

  /** A failure the request path cannot see (e.g. a retried attempt). Proxied request failures are counted already. */
  upstreamError(upstream: string, target: string, kind: string): void {
    this.#upstreamErrors.inc({ upstream, target, kind });
  }

  breakerState(upstream: string, target: string, state: BreakerState): void {
    this.#breaker.set({ upstream, target }, BREAKER_VALUE[state]);
  }

  /** Healthy targets of an upstream: reported healthy ones, plus configured targets never reported (assumed healthy). */
  healthyTargets(upstream: string, configured: readonly string[]): number {
    const m = this.#health.get(upstream);
    if (!m || m.size === 0) return configured.length;
    let n = 0;
    for (const ok of m.values()) if (ok) n++;
    for (const t of configured) if (!m.has(t)) n++;
    return n;
  }

  /** Cumulative totals by "api\tstage" (for alarms). */
  totals(): ReadonlyMap<string, Totals> {
    return this.#totals;
  }

  /**
   * An unlabelled counter registered by name, for plugins (`portico_plugin_<name>_<metric>_total`,
   * src/plugins). The same name gives the same counter, so a reload keeps its count.
   */
  namedCounter(name: string, help: string): { inc(n?: number): void } {
    const existing = this.registry.getSingleMetric(name);
    if (existing instanceof Counter) return existing;
    return new Counter({ name, help, registers: [this.registry] });
  }

  configReload(ok: boolean): void {
    this.#reloads.inc({ result: ok ? 'ok' : 'failed' });
  }

  onSnapshot(snapshot: Snapshot): void {
    this.#revision.set(snapshot.revision);
    this.configReload(true);
    this.mapOrigins(snapshot.config);
  }

  onReloadFailed(): void {
    this.configReload(false);
  }

  /** Which upstream an origin belongs to, for the upstream label of derived series. */
  mapOrigins(config: PorticoConfig): void {
    this.#originToUpstream.clear();
    for (const [name, u] of Object.entries(config.upstreams)) {
      for (const t of u.targets) this.#originToUpstream.set(new URL(t.url).origin, name);
    }
  }

  #scrapeAll: (() => Promise<string>) | undefined;

  /**
   * Where scrape() gets the whole picture from instead of this registry: in a worker of
   * `--workers N`, the primary's aggregate of every worker's registry (src/cluster/worker.ts sets it).
   */
  aggregateWith(source: () => Promise<string>): void {
    this.#scrapeAll = source;
  }

  /** The Prometheus text exposition: of every worker with --workers, else of this process. */
  scrape(): Promise<string> {
    return this.#scrapeAll ? this.#scrapeAll() : this.registry.metrics();
  }

  /** This process's metrics alone (GET /metrics?scope=process). */
  scrapeProcess(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.registry.clear();
  }
}
