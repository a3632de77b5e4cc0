import { request } from 'undici';
import type { Clock } from '../clock.js';
import type { PorticoConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Service } from '../services.js';
import type { Totals } from './labels.js';
import type { MetricsService } from './metrics.js';
import type { AlarmRuleConfig, AlarmsConfig } from './schema.js';
import type { Snapshot } from '../pipeline/context.js';

/**
 * Threshold alarms on the metrics, evaluated in-process every `evaluateEverySeconds` (and by
 * evaluate(), which tests call after moving a ManualClock). Rates come from samples of the
 * cumulative request totals: the value over the window is the difference between the newest sample
 * and the newest one at least `windowSeconds` old (or the oldest one while the window fills).
 * Firing logs a warning and POSTs the webhook; then the rule is quiet for `cooldownSeconds`.
 */

export interface AlarmEvent {
  alarm: string;
  state: 'ALARM';
  metric: AlarmRuleConfig['metric'];
  value: number;
  comparison: AlarmRuleConfig['comparison'];
  threshold: number;
  windowSeconds: number;
  api?: string;
  stage?: string;
  upstream?: string;
  /** ISO time of the evaluation (from the gateway clock). */
  at: string;
  message: string;
}

interface Sample {
  at: number;
  totals: Map<string, Totals>;
}

const COMPARE: Record<AlarmRuleConfig['comparison'], (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

export class AlarmService implements Service {
  #clock: Clock;
  #log: Logger;
  #metrics: MetricsService;
  #cfg: AlarmsConfig;
  #config: PorticoConfig;
  #samples: Sample[] = [];
  #lastFired = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #posts = new Set<Promise<void>>();
  /** Every alarm fired, newest last (bounded), for the admin API and tests. */
  readonly fired: AlarmEvent[] = [];

  constructor(config: PorticoConfig, metrics: MetricsService, clock: Clock, log: Logger) {
    this.#clock = clock;
    this.#log = log;
    this.#metrics = metrics;
    this.#config = config;
    this.#cfg = config.observability.alarms;
    this.#schedule();
  }

  #schedule(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#cfg.rules.length) return;
    this.#timer = setInterval(() => this.evaluate(), this.#cfg.evaluateEverySeconds * 1000);
    this.#timer.unref();
  }

  onSnapshot(snapshot: Snapshot): void {
    const every = this.#cfg.evaluateEverySeconds;
    this.#config = snapshot.config;
    this.#cfg = snapshot.config.observability.alarms;
    const names = new Set(this.#cfg.rules.map((r) => r.name));
    for (const n of this.#lastFired.keys()) if (!names.has(n)) this.#lastFired.delete(n);
    if (every !== this.#cfg.evaluateEverySeconds || !this.#timer) this.#schedule();
  }

  /** Takes a sample and evaluates every rule; returns the alarms that fired now. */
  evaluate(): AlarmEvent[] {
    const now = this.#clock.now();
    const snap = new Map<string, Totals>();
    for (const [k, t] of this.#metrics.totals()) snap.set(k, { ...t });
    this.#samples.push({ at: now, totals: snap });
    const longest = Math.max(60, ...this.#cfg.rules.map((r) => r.windowSeconds)) * 1000;
    // Keep one sample older than the longest window, so a full window always has its start.
    while (this.#samples.length > 2 && (this.#samples[1] as Sample).at <= now - longest) this.#samples.shift();
    const out: AlarmEvent[] = [];
    for (const rule of this.#cfg.rules) {
      const value = this.#value(rule, now);
      if (value === undefined || !COMPARE[rule.comparison](value, rule.threshold)) continue;
      const last = this.#lastFired.get(rule.name);
      if (last !== undefined && now - last < rule.cooldownSeconds * 1000) continue;
      this.#lastFired.set(rule.name, now);
      out.push(this.#fire(rule, value, now));
    }
    return out;
  }

  #value(rule: AlarmRuleConfig, now: number): number | undefined {
    if (rule.metric === 'healthyTargets') {
      const up = rule.upstream ? this.#config.upstreams[rule.upstream] : undefined;
      if (!rule.upstream || !up) return undefined;
      return this.#metrics.healthyTargets(
        rule.upstream,
        up.targets.map((t) => new URL(t.url).origin),
      );
    }
    const newest = this.#samples[this.#samples.length - 1] as Sample;
    let base: Sample | undefined;
    for (const s of this.#samples) {
      if (s.at <= now - rule.windowSeconds * 1000) base = s;
      else break;
    }
    const from = base ?? (this.#samples[0] as Sample);
    const d = { count: 0, c4xx: 0, c5xx: 0 };
    for (const [key, t] of newest.totals) {
      const [api, stage] = key.split('\t');
      if (rule.api !== undefined && api !== rule.api) continue;
      if (rule.stage !== undefined && stage !== rule.stage) continue;
      const b = from === newest ? undefined : from.totals.get(key);
      d.count += t.count - (b?.count ?? 0);
      d.c4xx += t.c4xx - (b?.c4xx ?? 0);
      d.c5xx += t.c5xx - (b?.c5xx ?? 0);
    }
    if (rule.metric === 'count') return d.count;
    if (d.count === 0 || d.count < rule.minRequests) return undefined;
    return (rule.metric === '5xxRate' ? d.c5xx : d.c4xx) / d.count;
  }

  #fire(rule: AlarmRuleConfig, value: number, now: number): AlarmEvent {
    const scope = rule.upstream
      ? `upstream ${rule.upstream}`
      : rule.api
        ? `api ${rule.api}${rule.stage ? `/${rule.stage}` : ''}`
        : 'all APIs';
    const event: AlarmEvent = {
      alarm: rule.name,
      state: 'ALARM',
      metric: rule.metric,
      value,
      comparison: rule.comparison,
      threshold: rule.threshold,
      windowSeconds: rule.windowSeconds,
      ...(rule.api ? { api: rule.api } : {}),
      ...(rule.stage ? { stage: rule.stage } : {}),
      ...(rule.upstream ? { upstream: rule.upstream } : {}),
      at: new Date(now).toISOString(),
      message: `${rule.name}: ${rule.metric} of ${scope} is ${Math.round(value * 10000) / 10000} (${rule.comparison} ${rule.threshold})`,
    };
    this.fired.push(event);
    if (this.fired.length > 100) this.fired.shift();
    this.#log.warn({ alarm: event }, `alarm ${rule.name} fired`);
    const hook = this.#cfg.webhook;
    if (hook) {
      const p = this.#post(hook, event).finally(() => this.#posts.delete(p));
      this.#posts.add(p);
    }
    return event;
  }

  async #post(hook: NonNullable<AlarmsConfig['webhook']>, event: AlarmEvent): Promise<void> {
    try {
      const res = await request(hook.url, {
        method: 'POST',
        headers: { ...hook.headers, 'content-type': 'application/json' },
        body: JSON.stringify(event),
        headersTimeout: hook.timeoutMs,
        bodyTimeout: hook.timeoutMs,
      });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`webhook answered ${res.statusCode}`);
    } catch (err) {
      this.#log.error({ err: (err as Error).message, alarm: event.alarm }, 'alarm webhook failed');
    }
  }

  /** Resolves when every webhook POST started so far has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.#posts]);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.settled();
  }
}
