import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigText, compileConfig } from '../../src/features.js';
import { createLogger } from '../../src/logger.js';
import { createRuntimeDeps } from '../../src/pipeline/policy.js';
import { PoolRegistry } from '../../src/forward/pools.js';
import { parseRouteKey, type RouteKey } from '../../src/router/route-key.js';
import { RouteTrie, staticKey } from '../../src/router/trie.js';
import { FULL, recordFigure } from './results.js';

/** Fuzz/property tests for the router and the config loader (reliability issue, "Fuzz/property tests"). */

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'ANY'] as const;
const staticSeg = fc.constantFrom('a', 'b', 'pets', 'p%65ts', 'x-y', 'v1', '~u', '%20');
const routeArb = fc
  .tuple(
    fc.constantFrom(...METHODS),
    fc.array(
      fc.oneof({ weight: 3, arbitrary: staticSeg.map((s) => s) }, { weight: 1, arbitrary: fc.constant('{p}') }),
      { maxLength: 4 },
    ),
    fc.boolean(),
  )
  .map(([m, segs, greedy]) => {
    let n = 0;
    const parts = segs.map((s) => (s === '{p}' ? `{p${n++}}` : s));
    if (greedy) parts.push('{proxy+}');
    return `${m} /${parts.join('/')}`;
  });
const pathArb = fc
  .array(fc.oneof(staticSeg, fc.constantFrom('', 'zz', '7', 'a b', '%2F', '..')), { maxLength: 6 })
  .map((s) => `/${s.join('/')}`);

/** Does `key` match `path` for `method`, by the definition (no precedence)? Returns params or undefined. */
function matchesByDefinition(key: RouteKey, method: string, path: string): boolean {
  const anyOk = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].includes(method);
  if (key.method !== method && !(key.method === 'ANY' && anyOk)) return false;
  let p = path;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  const segs = p === '/' ? [] : p.slice(1).split('/');
  const ks = key.segments;
  for (let i = 0; i < ks.length; i++) {
    const k = ks[i] as RouteKey['segments'][number];
    if (k.kind === 'greedy') {
      const rest = segs.slice(i);
      return rest.length > 0 && !(rest.length === 1 && rest[0] === '');
    }
    const s = segs[i];
    if (s === undefined) return false;
    if (k.kind === 'static' && staticKey(k.value) !== staticKey(s)) return false;
    if (k.kind === 'param' && s === '') return false;
  }
  return segs.length === ks.length;
}

test('router fuzz: random route sets and paths never throw; every match really matches; an exact static route always wins', () => {
  const runs = FULL ? 20_000 : 3000;
  fc.assert(
    fc.property(
      fc.uniqueArray(routeArb, { maxLength: 25 }),
      fc.array(fc.tuple(fc.constantFrom(...METHODS.filter((m) => m !== 'ANY'), 'PROPFIND'), pathArb), {
        maxLength: 10,
      }),
      (routes, probes) => {
        const trie = new RouteTrie<string>();
        const keys = new Map<string, RouteKey>();
        for (const r of routes) {
          const key = parseRouteKey(r);
          if (typeof key === 'string' || !('segments' in key)) continue;
          if (trie.add(key, r)) keys.set(r, key);
        }
        for (const [method, path] of probes) {
          const m = trie.match(method, path);
          if (m) {
            const key = keys.get(m.value) as RouteKey;
            if (!matchesByDefinition(key, method, path)) return false;
          } else {
            // No match: then no route matches by definition either.
            for (const key of keys.values()) if (matchesByDefinition(key, method, path)) return false;
          }
          // A route made only of the path's own (static) segments, for this method, must win.
          const exact = [...keys.entries()].find(
            ([, k]) =>
              k.method === method &&
              k.segments.every((s) => s.kind === 'static') &&
              matchesByDefinition(k, method, path),
          );
          if (exact && m?.value !== exact[0]) return false;
        }
        return true;
      },
    ),
    { numRuns: runs, seed: 21 },
  );
  recordFigure({
    id: 'router-fuzz',
    figure: 'Router fuzz: random route sets × paths, crashes / false matches / missed matches',
    value: `${runs} route sets / 0 / 0 / 0`,
    target: '0',
    test: 'test/reliability/fuzz.property.test.ts › router fuzz',
  });
});

const VALID = `version: 1
server: { listen: 127.0.0.1:8080, limits: { maxBodyBytes: 1000 } }
upstreams:
  u: { targets: [ { url: "http://127.0.0.1:1" } ] }
apis:
  - name: a
    type: rest
    stages: { prod: { variables: { v: x } } }
    routes:
      - route: GET /pets/{id}
        integration: { type: http_proxy, uri: "http://127.0.0.1:1/pets/{id}" }
      - route: ANY /{proxy+}
        integration: { type: http_proxy, upstream: u }
`;

function loadAndCompile(text: string): void {
  const loaded = loadConfigText(text, 'fuzz.yaml', { HOME: '/tmp' });
  compileConfig(loaded, {
    runtime: createRuntimeDeps({ pools: new PoolRegistry(), log: createLogger('silent') }),
    revision: 1,
  });
}

test('config loader fuzz: random YAML, random values and mutated configs give ConfigError with a message, never another exception', () => {
  const runs = FULL ? 1500 : 60;
  const crashes: string[] = [];
  const check = (text: string | undefined) => {
    if (typeof text !== 'string') return;
    try {
      loadAndCompile(text);
    } catch (err) {
      if (!(err instanceof ConfigError) || !err.message)
        crashes.push(
          `${(err as Error).stack?.split('\n').slice(0, 3).join(' ')} for ${JSON.stringify(text.slice(0, 200))}`,
        );
    }
  };
  // 1. Any JSON-able value as the document.
  for (const doc of fc.sample(fc.anything({ maxDepth: 3, maxKeys: 6 }), { numRuns: runs, seed: 31 })) {
    let text: string;
    try {
      text = stringify(doc);
    } catch {
      continue;
    }
    check(text);
  }
  // 2. The valid config with one value replaced by a random one, at a random path.
  const paths = [
    ['version'],
    ['server', 'listen'],
    ['server', 'limits', 'maxBodyBytes'],
    ['upstreams', 'u', 'targets', 0, 'url'],
    ['apis', 0, 'type'],
    ['apis', 0, 'stages'],
    ['apis', 0, 'routes', 0, 'route'],
    ['apis', 0, 'routes', 0, 'integration', 'uri'],
    ['apis', 0, 'routes', 1, 'integration'],
    ['apis', 0, 'name'],
  ];
  for (const [at, value] of fc.sample(
    fc.tuple(
      fc.constantFrom(...paths),
      fc.oneof(
        fc.anything({ maxDepth: 2 }),
        fc.string(),
        fc.constantFrom('${NOPE}', '{proxy}', 'http://{id}/', 'GET /{a}/{a}', '$default', -1, 1e308),
      ),
    ),
    { numRuns: runs, seed: 32 },
  )) {
    const doc = JSON.parse(JSON.stringify(parseYamlLoose(VALID))) as Record<string, unknown>;
    let node = doc as Record<string | number, unknown>;
    for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
    node[at[at.length - 1] as string | number] = value;
    try {
      check(stringify(doc));
    } catch {
      // not representable as YAML
    }
  }
  // 3. Byte-level mutations of the text (broken indentation, quotes, colons, tabs).
  for (const [pos, text] of fc.sample(
    fc.tuple(
      fc.nat({ max: VALID.length }),
      fc.constantFrom(':', '"', "'", '\t', '  ', '\n', '{', '[', '&a', '*a', '!!binary ', '- ', '#', '%', '${', '\0'),
    ),
    { numRuns: runs, seed: 33 },
  )) {
    check(VALID.slice(0, pos) + text + VALID.slice(pos));
  }
  recordFigure({
    id: 'config-fuzz',
    figure: 'Config loader fuzz: random documents / crashes (anything but a ConfigError)',
    value: `${runs * 3} / ${crashes.length}`,
    target: '0 crashes',
    test: 'test/reliability/fuzz.property.test.ts › config loader fuzz',
  });
  assert.deepEqual(crashes.slice(0, 5), []);
});

function parseYamlLoose(text: string): unknown {
  return loadConfigText(text, 'base.yaml', {}).config;
}

test('defect: a YAML alias without its anchor made the config loader throw a ReferenceError instead of a ConfigError', () => {
  assert.throws(
    () => loadConfigText('version: 1\napis: *nope\n', 'alias.yaml', {}),
    (err: unknown) => err instanceof ConfigError && /YAML/.test(err.message),
  );
});
