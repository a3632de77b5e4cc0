import { isIP } from 'node:net';
import type { ProbeResult } from './health.js';

const RECENT = 100;

/**
 * One place requests go: a target URL, or one resolved address of a host-name target. Its state
 * (health, ejection, counters) is kept across reloads, keyed by upstream name + id.
 */
export class Endpoint {
  /** Target URL, plus "#address" for an address found by DNS. */
  readonly id: string;
  readonly targetUrl: string;
  readonly address: string | undefined;
  /** Origin dispatched to (the address in place of the host name). */
  readonly origin: string;
  /** Path prefix of the target URL, no trailing slash. */
  readonly basePath: string;
  /** Host header to send when the origin is an address (the target's host[:port]). */
  readonly hostHeader: string | undefined;
  readonly isHttps: boolean;
  readonly hostname: string;

  /** Active health: true until probes say otherwise. */
  healthy = true;
  checkSuccesses = 0;
  checkFailures = 0;
  lastCheck: (ProbeResult & { at: number }) | undefined;
  /** Since when it has been healthy and present (slow start). */
  healthySince: number;
  /** Passive health. */
  consecutiveFailures = 0;
  ejectedUntil = 0;
  ejections = 0;
  inflight = 0;
  requests = 0;
  failures = 0;
  #latency = new Float64Array(RECENT);
  #ok = new Uint8Array(RECENT);
  #n = 0;
  timer: NodeJS.Timeout | undefined;
  /** Bumped when the probe loop is reset, so an in-flight probe does not start a second loop. */
  probeGen = 0;

  constructor(targetUrl: string, address: string | undefined, now: number) {
    const u = new URL(targetUrl);
    this.targetUrl = targetUrl;
    this.address = address;
    this.id = address ? `${targetUrl}#${address}` : targetUrl;
    this.isHttps = u.protocol === 'https:';
    this.hostname = u.hostname.replace(/^\[|\]$/g, '');
    this.basePath = u.pathname.replace(/\/+$/, '');
    if (address && address !== this.hostname) {
      const port = u.port || (this.isHttps ? '443' : '80');
      this.origin = `${u.protocol}//${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
      this.hostHeader = u.host;
    } else {
      this.origin = u.origin;
      this.hostHeader = undefined;
    }
    this.healthySince = now;
  }

  record(latencyMs: number, ok: boolean): void {
    const i = this.#n++ % RECENT;
    this.#latency[i] = latencyMs;
    this.#ok[i] = ok ? 1 : 0;
  }

  recent(): { requests: number; errors: number; latencyMs: { avg: number; p50: number; p99: number } | null } {
    const n = Math.min(this.#n, RECENT);
    if (n === 0) return { requests: 0, errors: 0, latencyMs: null };
    const lat = Array.from(this.#latency.subarray(0, n)).sort((a, b) => a - b);
    let errors = 0;
    for (let i = 0; i < n; i++) if (this.#ok[i] === 0) errors++;
    const q = (p: number) => round(lat[Math.min(n - 1, Math.floor(p * n))] as number);
    return {
      requests: n,
      errors,
      latencyMs: { avg: round(lat.reduce((s, v) => s + v, 0) / n), p50: q(0.5), p99: q(0.99) },
    };
  }
}

export function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** The label of a target in upstream metrics: its URL's origin (as the healthyTargets alarm counts them). */
export function targetOrigin(ep: Endpoint): string {
  return new URL(ep.targetUrl).origin;
}
