// The scenarios: what is measured, numbered as in the performance issue (#9). A scenario is a target (a process)
// plus the request sent to it; several scenarios share a process (portico and portico-post-1mb, for example).
import type { PorticoVariant } from './portico-config.js';
import type { Peer } from './targets.js';

export type TargetKind =
  'direct' | 'minimal' | 'nginx' | 'haproxy' | 'fast-gateway' | 'caddy' | 'raw-net' | `portico-${PorticoVariant}`;
export type RequestKind = 'get' | 'post';

export interface ScenarioDef {
  name: string;
  /** The scenario's number in the issue; undefined for the reference rows the harness adds. */
  num?: number;
  target: TargetKind;
  request: RequestKind;
  /** An optional peer it needs; without it the scenario is skipped with a notice. */
  needs?: Peer;
  /** Part of the smoke pass (CI: a quick sanity check that Portico serves every kind of request). */
  smoke?: boolean;
  /** Sent to the target's TLS listener (`Target.tlsBase`) instead of its plain one. */
  tls?: boolean;
  /** Each request on a new connection (`Connection: close`): with `tls`, a full handshake per request. */
  newConnection?: boolean;
  /** The row its "vs nginx" divides by, when not the plain GET / POST one (the HTTPS rows: nginx over TLS). */
  nginxRow?: string;
  /** Portico from another commit's checkout (`--compare`, bench/lib/compare.ts) instead of this one. */
  checkout?: { short: string; root: string };
}

/** The process a scenario runs against: its target, on this checkout or (`kind@sha7`) on the compared one. */
export function targetKey(def: ScenarioDef): string {
  return def.checkout ? `${def.target}@${def.checkout.short}` : def.target;
}

/** The request of scenario 10: a 1 MB body, streamed through the proxy to the backend, which answers its size. */
export const POST_BODY_BYTES = 1024 * 1024;

export const SCENARIOS: readonly ScenarioDef[] = [
  { name: 'direct', num: 1, target: 'direct', request: 'get', smoke: true },
  { name: 'nginx', num: 2, target: 'nginx', request: 'get', needs: 'nginx', smoke: true },
  { name: 'fast-gateway', num: 3, target: 'fast-gateway', request: 'get', needs: 'fast-gateway' },
  { name: 'portico', num: 4, target: 'portico-plain', request: 'get', smoke: true },
  { name: 'portico-full', num: 5, target: 'portico-full', request: 'get', smoke: true },
  { name: 'portico-jwt', num: 6, target: 'portico-jwt', request: 'get', smoke: true },
  { name: 'portico-cached', num: 7, target: 'portico-cached', request: 'get', smoke: true },
  { name: 'portico-10k-routes', num: 8, target: 'portico-routes10k', request: 'get' },
  { name: 'portico-workers2', num: 9, target: 'portico-workers2', request: 'get' },
  { name: 'portico-post-1mb', num: 10, target: 'portico-plain', request: 'post', smoke: true },
  { name: 'direct-post-1mb', target: 'direct', request: 'post' },
  { name: 'nginx-post-1mb', target: 'nginx', request: 'post', needs: 'nginx' },
  { name: 'minimal-post-1mb', target: 'minimal', request: 'post' },
  { name: 'minimal', target: 'minimal', request: 'get' },
  { name: 'haproxy', target: 'haproxy', request: 'get', needs: 'haproxy' },
  { name: 'portico-observed', target: 'portico-observed', request: 'get' },
  { name: 'portico-throttle', target: 'portico-throttle', request: 'get' },
  { name: 'portico-throttle-redis', target: 'portico-throttle-redis', request: 'get', needs: 'redis' },
  // Issue #18's peers: the Go reverse proxy, and the JS ceiling (a measuring stick, not a product).
  { name: 'caddy', target: 'caddy', request: 'get', needs: 'caddy' },
  { name: 'raw-net', target: 'raw-net', request: 'get' },
  { name: 'portico-10-routes', target: 'portico-routes10', request: 'get' },
  // Issue #19: HTTPS, each against nginx over TLS with the same certificate in the same run.
  { name: 'nginx-https', target: 'nginx', request: 'get', needs: 'nginx', tls: true, nginxRow: 'nginx-https' },
  { name: 'portico-https', target: 'portico-tls', request: 'get', tls: true, nginxRow: 'nginx-https' },
  ...(['nginx', 'portico'] as const).map((p) => ({
    name: `${p}-https-newconn`,
    target: p === 'nginx' ? ('nginx' as const) : ('portico-tls' as const),
    request: 'get' as const,
    ...(p === 'nginx' ? { needs: 'nginx' as const } : {}),
    tls: true,
    newConnection: true,
    nginxRow: 'nginx-https-newconn',
  })),
];

export function scenario(name: string): ScenarioDef | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** The rows each scenario's "vs direct" and "vs nginx" ratios divide by: the same request, without a proxy / through nginx. */
export function baselines(def: Pick<ScenarioDef, 'request' | 'nginxRow'>): { direct: string; nginx: string } {
  const plain =
    def.request === 'get'
      ? { direct: 'direct', nginx: 'nginx' }
      : { direct: 'direct-post-1mb', nginx: 'nginx-post-1mb' };
  return def.nginxRow ? { ...plain, nginx: def.nginxRow } : plain;
}

/**
 * Which scenarios run: `--only` as given (an unknown name is an error; a name whose peer is missing is an error
 * too, since it was asked for), else the smoke set or every scenario, leaving out those whose peer is missing.
 */
export function selectScenarios(
  only: string | undefined,
  smoke: boolean,
  installed: (peer: Peer) => boolean,
): { selected: ScenarioDef[]; skipped: ScenarioDef[]; error?: string } {
  if (only !== undefined) {
    const names = only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !scenario(n));
    if (unknown.length || names.length === 0) {
      return {
        selected: [],
        skipped: [],
        error: `--only: unknown scenario "${unknown[0] ?? ''}" (one of: ${SCENARIOS.map((s) => s.name).join(', ')})`,
      };
    }
    const selected = SCENARIOS.filter((s) => names.includes(s.name));
    const missing = selected.find((s) => s.needs && !installed(s.needs));
    if (missing)
      return {
        selected: [],
        skipped: [],
        error: `--only: ${missing.name} needs ${missing.needs}, which is not installed`,
      };
    return { selected, skipped: [] };
  }
  const pool = SCENARIOS.filter((s) => !smoke || s.smoke);
  return {
    selected: pool.filter((s) => !s.needs || installed(s.needs)),
    skipped: pool.filter((s) => s.needs && !installed(s.needs)),
  };
}
