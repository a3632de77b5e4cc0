/**
 * Shared pieces of the path canonicalisation tests: a config whose routes forward paths unchanged
 * (so gateway space and upstream space are the same), an in-process "route + upstream path" for a
 * request path (the functions the gateway runs, no sockets), and an aggressive normaliser standing
 * for the most liberal upstream (decodes repeatedly, backslash as slash, `;` parameters dropped,
 * Unicode compatibility forms, merged slashes, dot-segments removed).
 */
import fc from 'fast-check';
import { loadConfigText, compileConfig } from '../../src/features.js';
import { uriTarget } from '../../src/integrations/uri.js';
import { createLogger } from '../../src/logger.js';
import { createRuntimeDeps } from '../../src/pipeline/policy.js';
import type { RequestContext, CompiledRoute, Mounted, Snapshot } from '../../src/pipeline/context.js';
import { findMountMerged, matchMerged, type EmptySegmentsMode } from '../../src/router/empty-segments.js';
import type { MountMatch } from '../../src/router/mounts.js';
import { greedyName } from '../../src/server/handler.js';
import { PoolRegistry } from '../../src/forward/pools.js';
import { compileUriTemplate } from '../../src/forward/uri-template.js';
import { pathProblem } from '../../src/server/request-checks.js';

/** Routes of two APIs; each route's URI repeats the request path and names the route in `route=`. */
export function canonYaml(origin: string, emptySegments: EmptySegmentsMode = 'reject'): string {
  const mode = emptySegments === 'aws' ? '    emptySegments: aws\n' : '';
  const r = (key: string, path: string, name: string) =>
    `      - route: ${key}\n        integration: { type: http_proxy, uri: "${origin}${path}?route=${name}" }\n`;
  return `version: 1
admin: { enabled: false }
server: { timeouts: { drainMs: 1000 } }
apis:
  - name: site
    type: http
${mode}    stages: { $default: {} }
    routes:
${r('ANY /public/{proxy+}', '/public/{proxy}', 'public')}\
${r('ANY /admin/{proxy+}', '/admin/{proxy}', 'admin')}\
${r('GET /admin', '/admin', 'admin-root')}\
${r('GET /api/{id}', '/api/{id}', 'api-id')}\
${r('GET /api/items/list', '/api/items/list', 'api-list')}\
${r('ANY /{proxy+}', '/{proxy}', 'catch-all')}
  - name: svc
    type: rest
    basePath: /svc
${mode}    stages: { prod: {} }
    routes:
${r('GET /secret', '/svc/prod/secret', 'svc-secret')}\
${r('ANY /{proxy+}', '/svc/prod/{proxy}', 'svc-any')}`;
}

export function compileCanonSnapshot(
  origin = 'http://127.0.0.1:9',
  emptySegments: EmptySegmentsMode = 'reject',
): Snapshot {
  const loaded = loadConfigText(canonYaml(origin, emptySegments), 'canon.yaml', {});
  return compileConfig(loaded, {
    runtime: createRuntimeDeps({ pools: new PoolRegistry(), log: createLogger('silent') }),
    revision: 1,
  });
}

export interface Routed {
  /** "400" when the gateway refuses the path, "none" when no route matches, else the route's name. */
  route: string;
  /** Path (no query) the upstream receives. */
  upstreamPath?: string;
}

const templates = new WeakMap<CompiledRoute, ReturnType<typeof uriTarget>>();

/** What the gateway does with `GET <path>` on host "a": the handler's checks, mount, trie, URI template. */
export function routeOf(snapshot: Snapshot, path: string, method = 'GET'): Routed {
  const q = path.indexOf('?');
  const rawPath = q === -1 ? path : path.slice(0, q);
  if (pathProblem(rawPath, true) !== undefined) return { route: '400' };
  if (!rawPath.includes('//')) return matchOnly(snapshot, rawPath, method);
  // As src/server/handler.ts: `//` only into an API with emptySegments: aws, mounted on the merged path.
  const aws = findMountMerged(snapshot.mounts, 'a', rawPath);
  if (aws?.match.value.api.emptySegments !== 'aws') return { route: '400' };
  return matchOnly(snapshot, rawPath, method, aws.match);
}

/** Mount + trie + URI template, without the path policy (for paths already canonical). */
export function matchOnly(snapshot: Snapshot, rawPath: string, method = 'GET', found?: MountMatch<Mounted>): Routed {
  const mount = found ?? snapshot.mounts.find('a', rawPath);
  if (!mount) return { route: 'none' };
  const api = mount.value.api;
  const m =
    api.emptySegments === 'aws' && mount.rest.includes('//')
      ? matchMerged(api.trie, method, mount.rest, greedyName)
      : api.trie.match(method, mount.rest);
  const route = m?.value ?? api.defaultRoute;
  if (!route) return { route: 'none' };
  let target = templates.get(route);
  if (!target) {
    const key = route.key;
    const names = new Set(key.segments.flatMap((s) => (s.kind === 'static' ? [] : [s.name])));
    const t = compileUriTemplate(
      (route.config.integration as { uri?: string }).uri as string,
      mount.value.stage.variables,
      names,
    );
    if (typeof t === 'string') throw new Error(t);
    target = uriTarget(t);
    templates.set(route, target);
  }
  const ctx = { params: m?.params ?? {}, rawQuery: '', restPath: mount.rest } as unknown as RequestContext;
  const full = target(ctx)?.path ?? '';
  const [p = '', query = ''] = full.split('?');
  return { route: /route=([\w-]+)/.exec(query)?.[1] ?? '?', upstreamPath: p };
}

/** The most liberal reading an upstream might give a path. */
export function liberalCanon(path: string): string {
  let p = path;
  for (let i = 0; i < 3; i++) {
    let d: string;
    try {
      d = decodeURIComponent(p);
    } catch {
      d = p.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    if (d === p) break;
    p = d;
  }
  p = p.normalize('NFKC').replace(/\\/g, '/');
  const out: string[] = [];
  for (const raw of p.split('/')) {
    // `;` parameters dropped (Tomcat, Jetty); trailing dots and spaces dropped (Windows, IIS).
    const seg = (raw.split(';')[0] as string).replace(/(?<=[^. ])[. ]+$/, '').replace(/^(\.\.?)[. ]+$/, '$1');
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** Path segments that normalisers disagree about, and ordinary ones. */
export const SEGMENTS = [
  'public',
  'admin',
  'api',
  'items',
  'list',
  'svc',
  'prod',
  'secret',
  'x',
  'a%20b',
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '%2e.',
  '.%2E',
  '%2e',
  '%252e%252e',
  '%25',
  '100%25',
  '%2f',
  '%2F',
  'a%2fb',
  '%5c',
  '%5C',
  '..%2f',
  '..%5c',
  '%2e%2e%2f',
  '',
  '%00',
  '..%00',
  ';',
  '..;',
  'admin;x',
  ';jsessionid=1',
  '%3b',
  'admin%3bx',
  '%61dmin',
  'ADMIN',
  'Admin',
  'adm%69n',
  '%c0%ae%c0%ae',
  '%e0%80%ae',
  '%ef%bc%8e%ef%bc%8e',
  '%ef%bc%8f',
  '%u002e',
  '%',
  '%zz',
  '~',
  '-',
  'svc%2fprod',
  '.well-known',
  '...',
  '..%20',
  'admin.',
  'admin%20',
  'admin%2e',
  'v1.0',
];

/** Paths built from SEGMENTS, sometimes with a trailing slash or a query. */
export const pathArb = fc
  .tuple(
    fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 6 }),
    fc.boolean(),
    fc.constantFrom('', '?a=1', '?a=%2e%2e/', '?x=/admin'),
  )
  .map(([segs, slash, query]) => `/${segs.join('/')}${slash ? '/' : ''}${query}`);
