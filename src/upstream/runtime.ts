import type { Client, Pool } from 'undici';
import type { Clock } from '../clock.js';
import type { Upstream } from '../forward/upstream.js';
import type { Logger } from '../logger.js';
import type { MetricsService } from '../observability/metrics.js';
import type { RequestContext } from '../pipeline/context.js';
import { type Balancer, type Candidate, createBalancer } from './balancers/index.js';
import { CircuitBreaker, RetryBudget } from './breaker.js';
import { UpstreamConnections } from './connections.js';
import { TargetDiscovery } from './discovery.js';
import { hashKeyOf } from './hash-key.js';
import { Endpoint } from './endpoint.js';
import { probe, type ProbeResult, statusMatcher } from './health.js';
import type { UpstreamConfig } from './schema.js';
import { TargetMetrics } from './target-metrics.js';
import { readUpstreamTls, type UpstreamTlsFiles } from './tls.js';
import { applyTargetChanges, type Override, type StatusParts, type TargetChange, upstreamStatus } from './status.js';

export { Endpoint, targetOrigin } from './endpoint.js';
export type { TargetChange } from './status.js';

export interface RuntimeEnv {
  clock: Clock;
  log: Logger;
  /** The metrics service, looked up at each use (absent without services or before it started). */
  metrics?: () => MetricsService | undefined;
}

/**
 * The live side of one named upstream: its endpoints with their health, the balancer, breaker,
 * retry budget, DNS discovery (discovery.ts), health-check timers, connection pools (connections.ts)
 * and metrics (target-metrics.ts). Created once per name and updated in place on reload, so health,
 * ejections and runtime weights survive. The status document and runtime weights are in status.ts.
 */
export class UpstreamRuntime implements Upstream<Endpoint> {
  readonly name: string;
  cfg: UpstreamConfig;
  balancer: Balancer;
  breaker: CircuitBreaker | undefined;
  budget: RetryBudget;
  #env: RuntimeEnv;
  #dir: string;
  #endpoints: Endpoint[] = [];
  #byId = new Map<string, Endpoint>();
  #overrides = new Map<string, Override>();
  #dns: TargetDiscovery;
  #connections: UpstreamConnections;
  #metrics: TargetMetrics;
  #matches: (status: number) => boolean = () => true;
  #closed = false;

  constructor(name: string, cfg: UpstreamConfig, dir: string, env: RuntimeEnv) {
    this.name = name;
    this.cfg = cfg;
    this.#env = env;
    this.#dir = dir;
    this.balancer = createBalancer(cfg.balancer, cfg.hashOn);
    this.breaker = cfg.circuitBreaker ? new CircuitBreaker(env.clock, cfg.circuitBreaker) : undefined;
    this.budget = new RetryBudget(env.clock, cfg.retries.budgetPercent, cfg.retries.minRetries);
    this.#metrics = new TargetMetrics(name, env.metrics);
    this.#dns = new TargetDiscovery(
      name,
      () => this.cfg,
      env,
      () => this.#rebuild(),
    );
    this.#connections = new UpstreamConnections(() => this.cfg, this.#readTls());
    if (cfg.healthCheck) this.#matches = statusMatcher(cfg.healthCheck.matcher);
    this.#dns.resolveAll();
    this.#rebuild();
  }

  // ---- what the forwarding path asks (forward/upstream.ts) ----

  get shareKey(): string {
    return `upstream:${this.name}`;
  }

  get retries(): UpstreamConfig['retries'] {
    return this.cfg.retries;
  }

  get timeouts(): UpstreamConfig['timeouts'] {
    return this.cfg.timeouts;
  }

  hashKey(ctx: RequestContext): string | undefined {
    return hashKeyOf(ctx, this);
  }

  /** The target URL's path, then the route's path (or the mapped one) and query. */
  path(ctx: RequestContext, ep: Endpoint): string {
    const q = ctx.upstreamQuery ?? ctx.rawQuery;
    const path = ep.basePath + (ctx.upstreamPath ?? ctx.restPath);
    return q ? `${path}?${q}` : path;
  }

  get endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  /** Resolves once the first DNS answers are in (or failed). */
  async ready(): Promise<void> {
    await this.#dns.ready();
  }

  /** Applies a reloaded config in place. */
  update(cfg: UpstreamConfig, dir: string): void {
    const old = this.cfg;
    this.cfg = cfg;
    this.#dir = dir;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (old.balancer !== cfg.balancer || !same(old.hashOn, cfg.hashOn))
      this.balancer = createBalancer(cfg.balancer, cfg.hashOn);
    if (!same(old.circuitBreaker, cfg.circuitBreaker)) {
      this.breaker = cfg.circuitBreaker ? new CircuitBreaker(this.#env.clock, cfg.circuitBreaker) : undefined;
    }
    if (old.retries.budgetPercent !== cfg.retries.budgetPercent || old.retries.minRetries !== cfg.retries.minRetries) {
      this.budget = new RetryBudget(this.#env.clock, cfg.retries.budgetPercent, cfg.retries.minRetries);
    }
    this.#dns.update(old, cfg);
    if (!same(old.tls, cfg.tls) || old.timeouts.connectMs !== cfg.timeouts.connectMs)
      this.#connections.reset(this.#readTls());
    if (cfg.healthCheck) this.#matches = statusMatcher(cfg.healthCheck.matcher);
    // A reload that changes a target's configured weight takes over from a runtime override.
    for (const t of cfg.targets) {
      const o = this.#overrides.get(t.url);
      if (o && o.configWeight !== t.weight) {
        delete o.weight;
        o.configWeight = t.weight;
        if (!o.drained) this.#overrides.delete(t.url);
      }
    }
    const urls = new Set(cfg.targets.map((t) => t.url));
    for (const url of this.#overrides.keys()) if (!urls.has(url)) this.#overrides.delete(url);
    const healthChanged = !same(old.healthCheck, cfg.healthCheck);
    if (healthChanged) {
      for (const ep of this.#endpoints) {
        clearTimeout(ep.timer);
        ep.timer = undefined;
        ep.probeGen++;
        if (!cfg.healthCheck) ep.healthy = true;
      }
    }
    this.#dns.resolveAll();
    this.#rebuild();
  }

  /** The tls files (checked at compile; a file changed since is logged and left out: system CAs, no client certificate). */
  #readTls(): UpstreamTlsFiles {
    const { files, problems } = readUpstreamTls(this.cfg.tls, this.#dir);
    for (const p of problems)
      this.#env.log.error(
        { upstream: this.name, field: `tls.${p.field}`, err: p.message },
        'cannot read upstream TLS file',
      );
    if (!this.cfg.tls.rejectUnauthorized)
      this.#env.log.warn(
        { upstream: this.name },
        "tls.rejectUnauthorized is false: the targets' certificates are not verified",
      );
    return files ?? {};
  }

  // ---- endpoints (DNS discovery: discovery.ts) ----

  /** Recomputes the endpoint list from targets × resolved addresses, keeping existing state by id. */
  #rebuild(): void {
    const now = this.#env.clock.now();
    const next: Endpoint[] = [];
    const byId = new Map<string, Endpoint>();
    for (const t of this.cfg.targets) {
      const found = this.#dns.addresses(t.url);
      const addresses = found?.length ? found : [undefined];
      for (const a of addresses) {
        const id = a ? `${t.url}#${a}` : t.url;
        const ep = this.#byId.get(id) ?? new Endpoint(t.url, a, now);
        byId.set(id, ep);
        next.push(ep);
      }
    }
    for (const [id, ep] of this.#byId) {
      if (byId.has(id)) continue;
      clearTimeout(ep.timer);
      ep.timer = undefined;
      ep.probeGen++;
      this.#connections.release(ep, byId.values());
    }
    this.#endpoints = next;
    this.#byId = byId;
    if (this.cfg.healthCheck) for (const ep of next) if (!ep.timer) this.#scheduleProbe(ep, 0);
    this.syncMetrics();
  }

  // ---- pools (connections.ts) ----

  /** The keep-alive pool for an endpoint (one per origin, SNI name and connect timeout). */
  pool(ep: Endpoint, connectMs?: number): Pool {
    return this.#connections.pool(ep, connectMs);
  }

  /**
   * A one-request connection, for the retry after a stale keep-alive reset: the pool may hold more
   * sockets the upstream has just closed. Closed as soon as its request is done.
   */
  freshClient(ep: Endpoint, connectMs?: number): Client {
    return this.#connections.freshClient(ep, connectMs);
  }

  // ---- active health ----

  #scheduleProbe(ep: Endpoint, delayMs: number): void {
    const hc = this.cfg.healthCheck;
    if (!hc || this.#closed) return;
    const gen = ep.probeGen;
    ep.timer = setTimeout(() => {
      void this.probe(ep).then(() => {
        if (ep.probeGen === gen && this.#byId.get(ep.id) === ep)
          this.#scheduleProbe(ep, this.cfg.healthCheck?.intervalMs ?? 0);
      });
    }, delayMs);
    ep.timer.unref();
  }

  /** Probes one endpoint now and applies the thresholds. */
  async probe(ep: Endpoint): Promise<ProbeResult> {
    const hc = this.cfg.healthCheck;
    if (!hc) return { ok: true };
    const path = `${ep.basePath}${hc.path}`;
    const result = await probe(this.pool(ep), {
      path,
      method: hc.method,
      timeoutMs: hc.timeoutMs,
      host: ep.hostHeader,
      matches: this.#matches,
    });
    const now = this.#env.clock.now();
    ep.lastCheck = { ...result, at: now };
    if (result.ok) {
      ep.checkFailures = 0;
      ep.checkSuccesses++;
      if (!ep.healthy && ep.checkSuccesses >= hc.healthyThreshold) {
        ep.healthy = true;
        ep.healthySince = now;
        this.#env.log.info({ upstream: this.name, target: ep.id }, 'upstream target healthy');
      }
    } else {
      ep.checkSuccesses = 0;
      ep.checkFailures++;
      if (ep.healthy && ep.checkFailures >= hc.unhealthyThreshold) {
        ep.healthy = false;
        this.#env.log.warn({ upstream: this.name, target: ep.id, error: result.error }, 'upstream target unhealthy');
      }
    }
    this.syncMetrics();
    return result;
  }

  // ---- picking ----

  /** The weight requests see now: runtime override or config, 0 if drained, ramped during slow start. */
  effectiveWeight(ep: Endpoint, now: number): number {
    const o = this.#overrides.get(ep.targetUrl);
    if (o?.drained) return 0;
    const base = o?.weight ?? this.cfg.targets.find((t) => t.url === ep.targetUrl)?.weight ?? 0;
    const ramp = this.cfg.slowStartMs;
    if (ramp > 0 && base > 0) {
      const age = now - ep.healthySince;
      if (age < ramp) return base * Math.max(0.1, age / ramp);
    }
    return base;
  }

  isEjected(ep: Endpoint, now: number): boolean {
    return ep.ejectedUntil > now;
  }

  /**
   * Picks an endpoint for a try: weight > 0 (not drained), healthy, not ejected, not in `exclude`.
   * With active checks and every candidate unhealthy, fails open to all of them unless
   * healthCheck.failOpen is false. Tried endpoints are only reused when nothing else is left.
   */
  pick(hashKey: string | undefined, exclude: ReadonlySet<string> | undefined): Endpoint | undefined {
    const now = this.#env.clock.now();
    const all: (Candidate & { ep: Endpoint })[] = [];
    for (const ep of this.#endpoints) {
      const weight = this.effectiveWeight(ep, now);
      if (weight > 0) all.push({ id: ep.id, weight, inflight: ep.inflight, ep });
    }
    if (all.length === 0) return undefined;
    const notEjected = all.filter((c) => !this.isEjected(c.ep, now));
    const pool = notEjected.length ? notEjected : all;
    let candidates = pool.filter((c) => c.ep.healthy);
    if (candidates.length === 0) {
      if (this.cfg.healthCheck && !this.cfg.healthCheck.failOpen) return undefined;
      candidates = pool;
    }
    const picked = this.balancer.pick(candidates, { hashKey, exclude }) ?? this.balancer.pick(candidates, { hashKey });
    return (picked as (typeof all)[number] | undefined)?.ep;
  }

  // ---- outcomes ----

  /** Records the end of one try on an endpoint: passive health, breaker, latency. */
  report(ep: Endpoint, outcome: 'success' | 'failure', latencyMs: number): void {
    const now = this.#env.clock.now();
    ep.requests++;
    ep.record(latencyMs, outcome === 'success');
    this.breaker?.record(outcome === 'success');
    const od = this.cfg.outlierDetection;
    if (outcome === 'success') {
      ep.consecutiveFailures = 0;
      // A target that has served as long as its last ejection lasted starts over.
      if (ep.ejections > 0 && now - ep.ejectedUntil >= Math.min(od.maxEjectionMs, od.baseEjectionMs * ep.ejections))
        ep.ejections = 0;
      this.syncMetrics();
      return;
    }
    try {
      this.#failed(ep, od, now);
    } finally {
      this.syncMetrics();
    }
  }

  #failed(ep: Endpoint, od: UpstreamConfig['outlierDetection'], now: number): void {
    ep.failures++;
    ep.consecutiveFailures++;
    if (!od.enabled || ep.consecutiveFailures < od.consecutiveFailures || this.isEjected(ep, now)) return;
    const n = this.#endpoints.length;
    const cap = Math.max(n >= 2 ? 1 : 0, Math.floor((n * od.maxEjectedPercent) / 100));
    const ejected = this.#endpoints.filter((e) => this.isEjected(e, now)).length;
    if (ejected >= cap) return;
    ep.ejections++;
    ep.consecutiveFailures = 0;
    const ms = Math.min(od.maxEjectionMs, od.baseEjectionMs * ep.ejections);
    ep.ejectedUntil = now + ms;
    // After an ejection the target comes back with slow start.
    ep.healthySince = ep.ejectedUntil;
    this.#env.log.warn(
      { upstream: this.name, target: ep.id, ejectionMs: ms, ejections: ep.ejections },
      'upstream target ejected',
    );
  }

  /** A failed try that is being retried: the request path only sees the last try, so it is counted here. */
  retried(ep: Endpoint): void {
    this.#metrics.retried(ep);
  }

  // ---- metrics (target-metrics.ts) ----

  /**
   * Brings the metrics service up to date (target health, targets gone, breaker state). Called after
   * probes, tries and endpoint changes, and at scrape time (ejections and open breakers end by the clock).
   */
  syncMetrics(): void {
    this.#metrics.sync(this.#endpoints, this.breaker, this.#closed, this.#env.clock.now());
  }

  /** In-flight requests by target origin, for the metrics service (read at scrape time). */
  inflightRows(): Iterable<readonly [string, string, number]> {
    return this.#metrics.inflightRows(this.#endpoints);
  }

  // ---- runtime weights and status (status.ts) ----

  /** Applies weight/drain changes atomically (all or none). */
  setTargets(changes: readonly TargetChange[]): void {
    applyTargetChanges(this, this.#parts(), changes, this.#env.clock.now());
  }

  status(): Record<string, unknown> {
    return upstreamStatus(this, this.#parts(), this.#env.clock.now());
  }

  #parts(): StatusParts {
    return { endpoints: this.#endpoints, overrides: this.#overrides, dns: this.#dns.states };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.syncMetrics();
    for (const ep of this.#endpoints) clearTimeout(ep.timer);
    this.#dns.close();
    await this.#connections.close();
  }
}
