import type { BreakerState as BreakerMetric } from '../observability/labels.js';
import type { MetricsService } from '../observability/metrics.js';
import type { BreakerState, CircuitBreaker } from './breaker.js';
import { type Endpoint, targetOrigin } from './endpoint.js';

const BREAKER_METRIC: Record<BreakerState, BreakerMetric> = {
  closed: 'closed',
  open: 'open',
  'half-open': 'half_open',
};

/**
 * What one named upstream tells the metrics service (UpstreamRuntime's "metrics" section): target
 * health, targets gone, breaker state, retries and in-flight counts, labelled by target origin.
 */
export class TargetMetrics {
  #name: string;
  #find: (() => MetricsService | undefined) | undefined;
  /** What the metrics service was last told, by target origin, and which service. */
  #metrics: MetricsService | undefined;
  #reportedHealth = new Map<string, boolean>();
  #reportedBreaker = new Map<string, BreakerMetric>();

  constructor(name: string, find: (() => MetricsService | undefined) | undefined) {
    this.#name = name;
    this.#find = find;
  }

  /** A failed try that is being retried: the request path only sees the last try, so it is counted here. */
  retried(ep: Endpoint): void {
    this.#find?.()?.upstreamError(this.#name, targetOrigin(ep), 'retry');
  }

  /**
   * Tells the metrics service what changed since the last call: target health (active checks and
   * passive ejection: healthy = checked healthy and not ejected; a target with several DNS addresses
   * is healthy while one of them is), targets gone (all of them once `closed`), breaker state.
   */
  sync(endpoints: readonly Endpoint[], breaker: CircuitBreaker | undefined, closed: boolean, now: number): void {
    const m = this.#find?.();
    if (!m) return;
    if (m !== this.#metrics) {
      this.#metrics = m;
      this.#reportedHealth.clear();
      this.#reportedBreaker.clear();
    }
    const health = new Map<string, boolean>();
    for (const ep of endpoints) {
      const origin = targetOrigin(ep);
      health.set(origin, (health.get(origin) ?? false) || (ep.healthy && ep.ejectedUntil <= now));
    }
    for (const origin of this.#reportedHealth.keys()) {
      if (health.has(origin) && !closed) continue;
      m.upstreamTargetRemoved(this.#name, origin);
      this.#reportedHealth.delete(origin);
      this.#reportedBreaker.delete(origin);
    }
    if (closed) return;
    const state = breaker ? BREAKER_METRIC[breaker.state] : undefined;
    for (const [origin, ok] of health) {
      if (this.#reportedHealth.get(origin) !== ok) {
        m.upstreamTargetHealth(this.#name, origin, ok);
        this.#reportedHealth.set(origin, ok);
      }
      // A breaker removed by a reload reads closed.
      const s = state ?? (this.#reportedBreaker.has(origin) ? 'closed' : undefined);
      if (s && this.#reportedBreaker.get(origin) !== s) {
        m.breakerState(this.#name, origin, s);
        this.#reportedBreaker.set(origin, s);
      }
    }
  }

  /** In-flight requests by target origin (read at scrape time). */
  *inflightRows(endpoints: readonly Endpoint[]): Iterable<readonly [string, string, number]> {
    const byOrigin = new Map<string, number>();
    for (const ep of endpoints) byOrigin.set(targetOrigin(ep), (byOrigin.get(targetOrigin(ep)) ?? 0) + ep.inflight);
    for (const [origin, n] of byOrigin) yield [this.#name, origin, n] as const;
  }
}
