import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { call } from '../helpers/http-call.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { canonYaml, compileCanonSnapshot, liberalCanon, matchOnly, pathArb, routeOf } from './path-canon.js';
import { FULL, recordFigure } from './results.js';

/**
 * The route that the gateway's policies (auth, throttle, cache) run for is the route the upstream
 * serves: for every path the gateway accepts, the most liberal reading of the path that reaches the
 * upstream is matched by the gateway to the same route. A path that would read differently is refused.
 */
const RUNS = 100_000;
/** Both path modes (src/router/empty-segments.ts): `//` refused, or served as AWS does. */
const MODES = ['reject', 'aws'] as const;

for (const mode of MODES) {
  test(`path canonicalisation property, emptySegments: ${mode}: ${RUNS} fast-check runs in process, 0 bypasses`, () => {
    const snap = compileCanonSnapshot(undefined, mode);
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(pathArb, (path) => {
        const r = routeOf(snap, path);
        if (r.route === '400') {
          refused++;
          return true;
        }
        if (r.route === 'none') return true;
        accepted++;
        const canonical = liberalCanon(r.upstreamPath as string);
        const again = matchOnly(snap, canonical);
        // A bypass: the upstream's reading of the path belongs to another route than the one checked.
        return again.route === r.route;
      }),
      { numRuns: RUNS, seed: 20261121 },
    );
    recordFigure({
      id: mode === 'reject' ? 'path-canon-property' : 'path-canon-property-aws',
      figure: `Path canonicalisation (emptySegments: ${mode}): property runs / bypasses`,
      value: `${RUNS} / 0`,
      target: '≥ 100k / 0',
      test: `test/reliability/path-canon.property.test.ts › path canonicalisation property, emptySegments: ${mode}`,
      details: { accepted, refused, seed: 20261121 },
    });
    assert.ok(accepted > 1000 && refused > 1000, `both sides exercised (accepted ${accepted}, refused ${refused})`);
  });
}

/** The literal table: path → the route the upstream is asked for (via route=) or 400. */
const TABLE: [path: string, want: string][] = [
  ['/public/x', 'public'],
  ['/public/a/b/c', 'public'],
  ['/admin', 'admin-root'],
  ['/admin/', 'admin-root'],
  ['/admin/users', 'admin'],
  ['/api/7', 'api-id'],
  ['/api/items/list', 'api-list'],
  ['/%61dmin', 'admin-root'],
  ['/adm%69n/users', 'admin'],
  ['/ADMIN', 'catch-all'],
  ['/Admin/users', 'catch-all'],
  ['/api/a%20b', 'api-id'],
  ['/public/100%25', 'public'],
  ['/svc/prod/secret', 'svc-secret'],
  ['/svc/prod/other', 'svc-any'],
  ['/public/../admin', '400'],
  ['/public/./admin', '400'],
  ['/public/%2e%2e/admin', '400'],
  ['/public/%2E%2E/admin', '400'],
  ['/public/.%2e/admin', '400'],
  ['/public/%2e./admin', '400'],
  ['/public/%252e%252e/admin', '400'],
  ['/public/..%2fadmin', '400'],
  ['/public%2f..%2fadmin', '400'],
  ['/public/..%5cadmin', '400'],
  ['/public/x%2fy', '400'],
  ['/admin%2fusers', '400'],
  ['//admin', '400'],
  ['/public//admin', '400'],
  ['/admin;x/users', '400'],
  ['/admin%3bx', '400'],
  ['/public/..;/admin', '400'],
  ['/public/%00', '400'],
  ['/public/..%00/admin', '400'],
  ['/public/%c0%ae%c0%ae/admin', '400'],
  ['/public/%ef%bc%8e%ef%bc%8e/admin', '400'],
  ['/public%ef%bc%8fadmin', '400'],
  ['/public/%zz', '400'],
  ['/svc/prod/../secret', '400'],
  ['/svc/prod/x/%2e%2e/secret', '400'],
  ['/svc%2fprod/secret', '400'],
  ['/public/x?next=/../admin', 'public'],
  ['/admin.', '400'],
  ['/admin%20/users', '400'],
  ['/public/..%20/admin', '400'],
  ['/api/v1.0', 'api-id'],
];

/**
 * emptySegments: aws: the same table with `//` served as AWS serves it (LocalStack's AWS-validated
 * test_lambda_aws_proxy_integration: `/stage//x` reaches `/x`, a greedy value keeps inner `//`), plus
 * rows where the `//` sits before a protected route; the third column is the path the upstream gets.
 */
const AWS_ROWS: Record<string, [want: string, upstream?: string]> = {
  '//admin': ['admin-root', '/admin'],
  '/public//admin': ['public', '/public/admin'],
  '/public/a//b': ['public', '/public/a//b'],
  '/public/a//b/': ['public', '/public/a//b'],
  '/admin//users': ['admin', '/admin/users'],
  '/admin/x//users': ['admin', '/admin/x//users'],
  '/api//7': ['api-id', '/api/7'],
  '/api//items//list': ['api-list', '/api/items/list'],
  '/x//admin': ['catch-all', '/x//admin'],
  '/svc//prod/secret': ['svc-secret', '/svc/prod/secret'],
  '/svc/prod//secret': ['svc-secret', '/svc/prod/secret'],
  '//svc/prod/secret': ['svc-secret', '/svc/prod/secret'],
  '/svc/prod/a//b': ['svc-any', '/svc/prod/a//b'],
  '/public//../admin': ['400'],
  '/public//%2e%2e//admin': ['400'],
  '/public/%2f%2fadmin': ['400'],
  '/public//admin;x': ['400'],
  '/public//admin.': ['400'],
};
const AWS_TABLE: [path: string, want: string, upstream?: string][] = [
  ...TABLE.filter(([p]) => !(p in AWS_ROWS)).map(([p, w]): [string, string] => [p, w]),
  ...Object.entries(AWS_ROWS).map(([p, [w, u]]): [string, string, string | undefined] => [p, w, u]),
];
const TABLES = { reject: TABLE as [string, string, string?][], aws: AWS_TABLE };

for (const mode of MODES) {
  const table = TABLES[mode];
  test(`literal path table, emptySegments: ${mode} (${table.length} cases) through a real gateway: refused with 400, or the expected route and path upstream`, async (t) => {
    const up = await startUpstream();
    t.after(() => up.close());
    const gw = await startTestGateway(canonYaml(up.url, mode));
    t.after(() => gw.close());
    const snap = compileCanonSnapshot(undefined, mode);
    const wrong: string[] = [];
    for (const [path, want, upstream] of table) {
      const before = up.requests.length;
      const r = await call(gw.port, 'GET', path);
      const seen = up.requests.slice(before);
      const got = r.status === 400 ? '400' : (/route=([\w-]+)/.exec(seen[0]?.url ?? '')?.[1] ?? `status ${r.status}`);
      if (got !== want) wrong.push(`${path}: want ${want}, got ${got}`);
      if (want === '400' && seen.length) wrong.push(`${path}: refused but reached the upstream`);
      if (want !== '400' && seen[0]) {
        // The upstream sees the path as sent (trailing slash aside) and it canonicalises to the same route.
        const upPath = seen[0].url.split('?')[0] as string;
        const again = matchOnly(snap, liberalCanon(upPath)).route;
        if (again !== want) wrong.push(`${path}: upstream path ${upPath} reads as ${again}`);
        if (upstream !== undefined && upPath !== upstream)
          wrong.push(`${path}: upstream got ${upPath}, want ${upstream}`);
      }
    }
    recordFigure({
      id: mode === 'reject' ? 'path-canon-table' : 'path-canon-table-aws',
      figure: `Path canonicalisation (emptySegments: ${mode}): literal table cases passed`,
      value: `${table.length - wrong.length}/${table.length}`,
      target: `${table.length}/${table.length}`,
      test: `test/reliability/path-canon.property.test.ts › literal path table, emptySegments: ${mode}`,
    });
    assert.deepEqual(wrong, []);
  });
}

for (const mode of MODES) {
  test(`socket-level sample of the property, emptySegments: ${mode}: generated paths through a real gateway and upstream, 0 bypasses`, async (t) => {
    const up = await startUpstream();
    t.after(() => up.close());
    const gw = await startTestGateway(canonYaml(up.url, mode));
    t.after(() => gw.close());
    const snap = compileCanonSnapshot(undefined, mode);
    const paths = fc.sample(pathArb, { numRuns: FULL ? 3000 : 300, seed: 99 });
    const bypasses: string[] = [];
    for (const path of paths) {
      const before = up.requests.length;
      const r = await call(gw.port, 'GET', path);
      const seen = up.requests.slice(before);
      const expected = routeOf(snap, path).route;
      if (r.status === 400) {
        if (expected !== '400' || seen.length) bypasses.push(`${path}: 400 but in-process says ${expected}`);
        continue;
      }
      if (!seen[0]) continue; // answered by the gateway itself (no route)
      const route = /route=([\w-]+)/.exec(seen[0].url)?.[1];
      const again = matchOnly(snap, liberalCanon(seen[0].url.split('?')[0] as string)).route;
      if (route !== expected || again !== route)
        bypasses.push(`${path}: route ${route}, in-process ${expected}, upstream reads ${again}`);
    }
    recordFigure({
      id: mode === 'reject' ? 'path-canon-sockets' : 'path-canon-sockets-aws',
      figure: `Path canonicalisation (emptySegments: ${mode}): socket-level sample / bypasses`,
      value: `${paths.length} / ${bypasses.length}`,
      target: '0 bypasses',
      test: `test/reliability/path-canon.property.test.ts › socket-level sample, emptySegments: ${mode}`,
    });
    assert.deepEqual(bypasses, []);
  });
}
