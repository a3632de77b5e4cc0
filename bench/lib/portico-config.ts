// The Portico configs of the bench scenarios, one per variant. Pure: tests validate every one of them with
// `portico validate` (test/bench/bench.test.ts).
import { join } from 'node:path';

export const PORTICO_VARIANTS = [
  'plain',
  'observed',
  'full',
  'jwt',
  'cached',
  'routes10k',
  'routes10',
  'workers2',
  'tls',
  'throttle',
  'throttle-redis',
] as const;
export type PorticoVariant = (typeof PORTICO_VARIANTS)[number];

/** Scenario 8's table size, and the prefix of its last route, the one the requests match. */
export const ROUTE_COUNT = 10_000;
export const ROUTES_10K_PREFIX = `/svc${ROUTE_COUNT - 1}`;
/** The small table #18's "10,000 routes within 5 % of 10" divides by: the same shapes, 10 routes. */
export const SMALL_ROUTE_COUNT = 10;
export const ROUTES_10_PREFIX = `/svc${SMALL_ROUTE_COUNT - 1}`;

/** The path prefix that reaches the backend's paths on a variant (after `/production`). */
export function routePrefix(variant: PorticoVariant): string {
  return variant === 'routes10k' ? ROUTES_10K_PREFIX : variant === 'routes10' ? ROUTES_10_PREFIX : '';
}

export interface PorticoConfigContext {
  backendUrl: string;
  /** The config's directory: the access log goes here. */
  dir: string;
  adminToken: string;
  redisUrl?: string | undefined;
  jwksUrl?: string | undefined;
  issuer?: string;
  audience?: string;
  /** The `tls` variant's TLS listener (server.extraListeners), with the run's one certificate. */
  tls?: { port: number; certFile: string; keyFile: string } | undefined;
}

/**
 * Every variant is the greeting backend behind one REST API `greeting`, stage `production`, route
 * `ANY /{proxy+}` → `http_proxy` to the backend, so the same paths (`/api/greeting`, `/api/upload`) work on all.
 *  - plain: no policies, metrics off, no access log (scenario 4, the bare proxy path; also 10's POST)
 *  - observed: plain + metrics (the default) + a JSON access log to a file
 *  - full: API key + usage-plan throttle (per key, far above the load) + metrics + access log (scenario 5)
 *  - jwt: plain + an RS256 JWT authorizer with a key set URL (scenario 6)
 *  - cached: plain + the stage cache, 1 h TTL: every request after the first is a hit (scenario 7)
 *  - routes10k: plain, with 10,000 routes; requests match the last (scenario 8)
 *  - routes10: the same shapes, 10 routes (what #18 compares scenario 8 with)
 *  - tls: plain, plus a TLS listener (server.extraListeners) for the HTTPS rows
 *  - workers2: plain, run with --workers 2 (scenario 9)
 *  - throttle / throttle-redis: plain + a stage throttle far above the load, in process or in Redis
 */
export function porticoConfig(variant: PorticoVariant, ctx: PorticoConfigContext): string {
  const accessLog = `accessLog: { enabled: true, format: json, destination: ${JSON.stringify(join(ctx.dir, 'access.log'))} }`;
  const observed = variant === 'observed' || variant === 'full';
  const stage =
    variant === 'cached'
      ? '{ cache: { enabled: true, ttlSeconds: 3600 } }'
      : variant === 'throttle' || variant === 'throttle-redis'
        ? '{ throttle: { rate: 10000000, burst: 10000000 } }'
        : '{}';
  const lines = [
    'version: 1',
    `admin: { token: ${JSON.stringify(ctx.adminToken)} }`,
    // Large enough that neither the 1 MB POST nor anything else is refused for size.
    'server:',
    '  limits: { maxBodyBytes: 10485760 }',
  ];
  if (variant === 'tls') {
    if (!ctx.tls) throw new Error('portico-tls needs a certificate and a port');
    const { port, certFile, keyFile } = ctx.tls;
    lines.push(
      '  extraListeners:',
      `    - listen: ${JSON.stringify(`127.0.0.1:${port}`)}`,
      `      tls: { certificates: [{ cert: ${JSON.stringify(certFile)}, key: ${JSON.stringify(keyFile)} }] }`,
    );
  }
  if (variant === 'throttle-redis') {
    if (!ctx.redisUrl) throw new Error('portico-throttle-redis needs a Redis URL');
    lines.push(`store: { kind: redis, url: ${JSON.stringify(ctx.redisUrl)}, keyPrefix: "bench:" }`);
  }
  if (variant === 'full') {
    // One bucket per key, checked on every request, far above the load so none is refused.
    lines.push(
      'usagePlans:',
      '  bench:',
      '    stages: { greeting/production: {} }',
      '    throttle: { rate: 10000000, burst: 10000000 }',
    );
  }
  lines.push('apis:', '  - name: greeting', '    type: rest', `    stages: { production: ${stage} }`);
  if (variant === 'jwt') {
    if (!ctx.jwksUrl) throw new Error('portico-jwt needs a key set URL');
    lines.push(
      '    authorizers:',
      '      bench:',
      '        type: jwt',
      `        issuer: ${JSON.stringify(ctx.issuer ?? 'https://issuer.example')}`,
      `        audiences: [${JSON.stringify(ctx.audience ?? 'portico-bench')}]`,
      `        jwksUri: ${JSON.stringify(ctx.jwksUrl)}`,
      '        algorithms: [RS256]',
    );
  }
  lines.push('    routes:');
  if (variant === 'routes10k' || variant === 'routes10') {
    // A mix of shapes, as a real table has; the last one is a greedy proxy route like scenario 4's.
    const count = variant === 'routes10k' ? ROUTE_COUNT : SMALL_ROUTE_COUNT;
    for (let i = 0; i < count - 1; i++) {
      const route = [`GET /svc${i}/items`, `GET /svc${i}/items/{id}`, `POST /svc${i}/items`, `ANY /svc${i}/{proxy+}`][
        i % 4
      ]!;
      const uri = route.endsWith('{proxy+}') ? `${ctx.backendUrl}/{proxy}` : `${ctx.backendUrl}/api/greeting`;
      lines.push(
        `      - { route: ${JSON.stringify(route)}, integration: { type: http_proxy, uri: ${JSON.stringify(uri)} } }`,
      );
    }
    lines.push(
      `      - { route: "ANY ${routePrefix(variant)}/{proxy+}", integration: { type: http_proxy, uri: ${JSON.stringify(`${ctx.backendUrl}/{proxy}`)} } }`,
    );
  } else {
    lines.push(
      '      - route: ANY /{proxy+}',
      `        integration: { type: http_proxy, uri: ${JSON.stringify(`${ctx.backendUrl}/{proxy}`)} }`,
    );
    if (variant === 'full') lines.push('        apiKeyRequired: true');
    if (variant === 'jwt') lines.push('        authorizer: bench');
  }
  lines.push(observed ? `observability: { ${accessLog} }` : 'observability: { metrics: { enabled: false } }', '');
  return lines.join('\n');
}
