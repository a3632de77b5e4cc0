import { isIP } from 'node:net';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { HostResolver, nextRefreshMs } from './dns.js';
import type { UpstreamConfig } from './schema.js';
import type { DnsState } from './status.js';

/**
 * DNS discovery for one upstream's host-name targets (UpstreamRuntime's "endpoints and DNS"
 * section): one resolution loop per target, refreshed by TTL within dns.minRefreshMs..refreshMs;
 * a failed resolution keeps the last answer. `changed` is called when a target's addresses change.
 */
export class TargetDiscovery {
  /** By target URL (also read by the status document). */
  readonly states = new Map<string, DnsState>();
  #name: string;
  #cfg: () => UpstreamConfig;
  #env: { clock: Clock; log: Logger };
  #changed: () => void;
  #resolver: HostResolver;
  #pending = new Set<Promise<void>>();
  #closed = false;

  constructor(name: string, cfg: () => UpstreamConfig, env: { clock: Clock; log: Logger }, changed: () => void) {
    this.#name = name;
    this.#cfg = cfg;
    this.#env = env;
    this.#changed = changed;
    this.#resolver = new HostResolver(cfg().dns.servers);
  }

  /** Resolves once the answers asked for so far are in (or failed). */
  async ready(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** A reloaded config: new servers take over; other changed DNS settings restart every loop. */
  update(old: UpstreamConfig, cfg: UpstreamConfig): void {
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(old.dns.servers, cfg.dns.servers)) this.#resolver = new HostResolver(cfg.dns.servers);
    if (!same(old.dns, cfg.dns)) {
      for (const d of this.states.values()) clearTimeout(d.timer);
      this.states.clear();
    }
  }

  /** The last good addresses of a target, if it has a host name and an answer came. */
  addresses(url: string): string[] | undefined {
    return this.states.get(url)?.addresses;
  }

  /** Starts a loop for each new host-name target, and ends those of targets gone. */
  resolveAll(): void {
    const targets = this.#cfg().targets;
    for (const t of targets) {
      const host = new URL(t.url).hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) || this.states.has(t.url)) continue;
      const state: DnsState = {
        host,
        addresses: undefined,
        ttlMs: undefined,
        nextAt: 0,
        error: undefined,
        timer: undefined,
      };
      this.states.set(t.url, state);
      this.#refresh(t.url, state);
    }
    for (const [url, d] of this.states) {
      if (targets.some((t) => t.url === url)) continue;
      clearTimeout(d.timer);
      this.states.delete(url);
    }
  }

  #refresh(url: string, state: DnsState): void {
    const run = this.#resolver.resolve(state.host).then(
      (r) => {
        if (this.#closed || this.states.get(url) !== state) return;
        const changed = JSON.stringify(r.addresses) !== JSON.stringify(state.addresses);
        state.addresses = r.addresses;
        state.ttlMs = r.ttlMs;
        state.error = undefined;
        if (changed) {
          this.#env.log.info({ upstream: this.#name, target: url, addresses: r.addresses }, 'upstream target resolved');
          this.#changed();
        }
        const dns = this.#cfg().dns;
        this.#schedule(url, state, nextRefreshMs(r.ttlMs, dns.minRefreshMs, dns.refreshMs));
      },
      (err: Error) => {
        if (this.#closed || this.states.get(url) !== state) return;
        // Keep the last good answer; try again soon.
        state.error = (err as NodeJS.ErrnoException).code ?? err.message;
        this.#env.log.warn(
          { upstream: this.#name, target: url, error: state.error },
          'upstream DNS resolution failed; keeping the last answer',
        );
        this.#schedule(url, state, this.#cfg().dns.minRefreshMs);
      },
    );
    this.#pending.add(run);
    void run.finally(() => this.#pending.delete(run));
  }

  #schedule(url: string, state: DnsState, ms: number): void {
    clearTimeout(state.timer);
    state.nextAt = this.#env.clock.now() + ms;
    state.timer = setTimeout(() => this.#refresh(url, state), ms);
    state.timer.unref();
  }

  close(): void {
    this.#closed = true;
    for (const d of this.states.values()) clearTimeout(d.timer);
  }
}
