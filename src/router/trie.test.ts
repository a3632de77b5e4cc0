import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRouteKey, type RouteKey } from './route-key.js';
import { RouteTrie } from './trie.js';

function key(route: string): RouteKey {
  const k = parseRouteKey(route);
  if (typeof k === 'string') throw new Error(`bad route key in test: ${k}`);
  return k;
}

/** A trie whose value for each route is its own route key. */
function trieOf(routes: readonly string[]): RouteTrie<string> {
  const trie = new RouteTrie<string>();
  for (const r of routes) assert.equal(trie.add(key(r), r), true, `add ${r}`);
  return trie;
}

interface MatchCase {
  name: string;
  routes: string[];
  method: string;
  path: string;
  /** The route key that should match, or undefined for no match. */
  want: string | undefined;
  params?: Record<string, string>;
}

// The AWS precedence table (reference §1.7): static > {param} > {proxy+}, explicit method > ANY,
// HEAD ≠ GET, trailing slash ignored, parameters left URL-encoded.
const PETS = ['GET /pets', 'GET /pets/{id}', 'GET /pets/{proxy+}', 'GET /pets/mine'];
const FALLBACK = ['ANY /proxy/{proxy+}', 'ANY /proxy/bar/{param}', 'ANY /proxy/bar/baz'];

const cases: MatchCase[] = [
  { name: 'static route', routes: PETS, method: 'GET', path: '/pets', want: 'GET /pets', params: {} },
  { name: 'static beats {param}', routes: PETS, method: 'GET', path: '/pets/mine', want: 'GET /pets/mine', params: {} },
  {
    name: '{param} beats {proxy+}',
    routes: PETS,
    method: 'GET',
    path: '/pets/7',
    want: 'GET /pets/{id}',
    params: { id: '7' },
  },
  {
    name: '{proxy+} takes what {param} cannot',
    routes: PETS,
    method: 'GET',
    path: '/pets/7/toys/1',
    want: 'GET /pets/{proxy+}',
    params: { proxy: '7/toys/1' },
  },
  {
    name: 'static beats {param} whatever the insertion order',
    routes: ['GET /a/{x}', 'GET /a/b'],
    method: 'GET',
    path: '/a/b',
    want: 'GET /a/b',
  },
  {
    name: 'fallback: static sibling without the rest goes back to {param}',
    routes: FALLBACK,
    method: 'GET',
    path: '/proxy/bar/x',
    want: 'ANY /proxy/bar/{param}',
    params: { param: 'x' },
  },
  {
    name: 'fallback: too deep for {param} goes back to {proxy+}',
    routes: FALLBACK,
    method: 'GET',
    path: '/proxy/t/a/b',
    want: 'ANY /proxy/{proxy+}',
    params: { proxy: 't/a/b' },
  },
  {
    name: 'fallback: /proxy/bar/baz/x has no exact route and goes to {proxy+}',
    routes: FALLBACK,
    method: 'GET',
    path: '/proxy/bar/baz/x',
    want: 'ANY /proxy/{proxy+}',
    params: { proxy: 'bar/baz/x' },
  },
  {
    name: 'fallback: exact static still wins',
    routes: FALLBACK,
    method: 'GET',
    path: '/proxy/bar/baz',
    want: 'ANY /proxy/bar/baz',
  },
  {
    name: 'fallback: a static branch without the method backtracks to {param}',
    routes: ['POST /a/b', 'GET /a/{x}'],
    method: 'GET',
    path: '/a/b',
    want: 'GET /a/{x}',
    params: { x: 'b' },
  },
  {
    name: 'fallback: deeper {param} values are dropped when the branch fails',
    routes: ['GET /a/{x}/c', 'GET /a/{proxy+}'],
    method: 'GET',
    path: '/a/b/d',
    want: 'GET /a/{proxy+}',
    params: { proxy: 'b/d' },
  },
  { name: 'explicit method beats ANY', routes: ['ANY /x', 'GET /x'], method: 'GET', path: '/x', want: 'GET /x' },
  { name: 'ANY serves the other methods', routes: ['ANY /x', 'GET /x'], method: 'DELETE', path: '/x', want: 'ANY /x' },
  { name: 'ANY covers HEAD', routes: ['ANY /x'], method: 'HEAD', path: '/x', want: 'ANY /x' },
  { name: 'ANY covers OPTIONS', routes: ['ANY /x'], method: 'OPTIONS', path: '/x', want: 'ANY /x' },
  { name: 'ANY covers PATCH', routes: ['ANY /x'], method: 'PATCH', path: '/x', want: 'ANY /x' },
  { name: 'HEAD does not fall back to GET', routes: ['GET /x'], method: 'HEAD', path: '/x', want: undefined },
  { name: 'HEAD route serves HEAD', routes: ['GET /x', 'HEAD /x'], method: 'HEAD', path: '/x', want: 'HEAD /x' },
  { name: 'a method with no route does not match', routes: ['GET /x'], method: 'POST', path: '/x', want: undefined },
  {
    name: 'ANY does not match PROPFIND',
    routes: ['ANY /x', 'ANY /{proxy+}'],
    method: 'PROPFIND',
    path: '/x',
    want: undefined,
  },
  { name: 'ANY does not match lower-case get', routes: ['ANY /x'], method: 'get', path: '/x', want: undefined },
  {
    name: 'trailing slash ignored on a static route',
    routes: ['GET /pets'],
    method: 'GET',
    path: '/pets/',
    want: 'GET /pets',
  },
  {
    name: 'trailing slash ignored on a {param} route',
    routes: ['GET /pets/{id}'],
    method: 'GET',
    path: '/pets/7/',
    want: 'GET /pets/{id}',
    params: { id: '7' },
  },
  {
    name: 'trailing slash ignored on a greedy route (/v/ → proxy "v")',
    routes: ['ANY /{proxy+}'],
    method: 'GET',
    path: '/v/',
    want: 'ANY /{proxy+}',
    params: { proxy: 'v' },
  },
  { name: 'root route', routes: ['GET /', 'GET /{proxy+}'], method: 'GET', path: '/', want: 'GET /' },
  { name: 'empty path is the root', routes: ['GET /'], method: 'GET', path: '', want: 'GET /' },
  { name: 'greedy needs at least one segment', routes: ['ANY /{proxy+}'], method: 'GET', path: '/', want: undefined },
  {
    name: 'greedy under a prefix needs at least one segment',
    routes: ['ANY /files/{proxy+}'],
    method: 'GET',
    path: '/files/',
    want: undefined,
  },
  {
    name: 'greedy value is never empty (/files// is /files/ plus an empty segment)',
    routes: ['ANY /files/{proxy+}'],
    method: 'GET',
    path: '/files//',
    want: undefined,
  },
  {
    name: 'greedy value of a lone slash is kept (/files///)',
    routes: ['ANY /files/{proxy+}'],
    method: 'GET',
    path: '/files///',
    want: 'ANY /files/{proxy+}',
    params: { proxy: '/' },
  },
  {
    name: '// is kept inside a greedy value',
    routes: ['ANY /{proxy+}'],
    method: 'GET',
    path: '/a//b',
    want: 'ANY /{proxy+}',
    params: { proxy: 'a//b' },
  },
  {
    name: 'an empty segment does not match {param}',
    routes: ['GET /a/{x}/c'],
    method: 'GET',
    path: '/a//c',
    want: undefined,
  },
  {
    name: 'path parameters stay URL-encoded',
    routes: ['GET /pets/{id}'],
    method: 'GET',
    path: '/pets/a%20b',
    want: 'GET /pets/{id}',
    params: { id: 'a%20b' },
  },
  {
    name: '%2F stays encoded and stays one segment',
    routes: ['GET /pets/{id}'],
    method: 'GET',
    path: '/pets/a%2Fb',
    want: 'GET /pets/{id}',
    params: { id: 'a%2Fb' },
  },
  {
    name: 'greedy values stay URL-encoded',
    routes: ['ANY /files/{proxy+}'],
    method: 'GET',
    path: '/files/a%20b/c%2Fd',
    want: 'ANY /files/{proxy+}',
    params: { proxy: 'a%20b/c%2Fd' },
  },
  {
    name: 'a static segment matches its percent-encoded spelling',
    routes: ['GET /pets', 'GET /{x}'],
    method: 'GET',
    path: '/p%65ts',
    want: 'GET /pets',
  },
  {
    name: 'an encoded slash in a static route is not a separator (/a%2Fb)',
    routes: ['GET /a%2Fb', 'GET /a/b'],
    method: 'GET',
    path: '/a%2Fb',
    want: 'GET /a%2Fb',
  },
  {
    name: 'an encoded slash in a static route is not a separator (/a/b)',
    routes: ['GET /a%2Fb', 'GET /a/b'],
    method: 'GET',
    path: '/a/b',
    want: 'GET /a/b',
  },
  {
    name: 'a malformed escape is compared as is',
    routes: ['GET /pets/{id}'],
    method: 'GET',
    path: '/pets/%zz',
    want: 'GET /pets/{id}',
    params: { id: '%zz' },
  },
  { name: 'paths are case-sensitive', routes: ['GET /pets'], method: 'GET', path: '/Pets', want: undefined },
  {
    name: 'sibling routes may name their parameter differently ({id})',
    routes: ['GET /pets/{id}', 'GET /pets/{petId}/toys'],
    method: 'GET',
    path: '/pets/7',
    want: 'GET /pets/{id}',
    params: { id: '7' },
  },
  {
    name: 'sibling routes may name their parameter differently ({petId})',
    routes: ['GET /pets/{id}', 'GET /pets/{petId}/toys'],
    method: 'GET',
    path: '/pets/7/toys',
    want: 'GET /pets/{petId}/toys',
    params: { petId: '7' },
  },
  {
    name: 'several parameters, in order',
    routes: ['GET /a/{x}/b/{y}/{proxy+}'],
    method: 'GET',
    path: '/a/1/b/2/c/d',
    want: 'GET /a/{x}/b/{y}/{proxy+}',
    params: { x: '1', y: '2', proxy: 'c/d' },
  },
  { name: 'a longer path than any route', routes: ['GET /a/{x}'], method: 'GET', path: '/a/1/2', want: undefined },
  { name: 'a shorter path than any route', routes: ['GET /a/{x}'], method: 'GET', path: '/a', want: undefined },
  { name: 'an empty trie', routes: [], method: 'GET', path: '/', want: undefined },
];

for (const c of cases) {
  test(`match: ${c.name}`, () => {
    const m = trieOf(c.routes).match(c.method, c.path);
    assert.equal(m?.value, c.want);
    if (c.params) assert.deepEqual(m?.params, c.params);
  });
}

interface AddCase {
  name: string;
  routes: string[];
  /** Expected result of adding the last route after the others. */
  added: boolean;
}

const addCases: AddCase[] = [
  { name: 'same method and path is taken', routes: ['GET /a', 'GET /a'], added: false },
  { name: 'same shape with another param name is taken', routes: ['GET /a/{x}', 'GET /a/{y}'], added: false },
  { name: 'same greedy with another name is taken', routes: ['GET /a/{p+}', 'GET /a/{q+}'], added: false },
  { name: 'a second ANY is taken', routes: ['ANY /a', 'ANY /a'], added: false },
  { name: 'encoded spelling of a static path is the same path', routes: ['GET /pets', 'GET /p%65ts'], added: false },
  { name: 'ANY next to GET is free', routes: ['GET /a', 'ANY /a'], added: true },
  { name: '{param} next to {proxy+} is free', routes: ['GET /a/{x}', 'GET /a/{proxy+}'], added: true },
  { name: 'trailing slash variant is the same path', routes: ['GET /a', 'GET /a/'], added: false },
];

for (const c of addCases) {
  test(`add: ${c.name}`, () => {
    const trie = trieOf(c.routes.slice(0, -1));
    const before = trie.size;
    assert.equal(trie.add(key(c.routes.at(-1) as string), 'last'), c.added);
    assert.equal(trie.size, before + (c.added ? 1 : 0));
  });
}

test('matching cost does not grow with route count (Map lookups counted, not timed)', (t) => {
  const build = (n: number) => {
    const trie = new RouteTrie<number>();
    for (let i = 0; i < n; i++) {
      trie.add(key(`GET /r${i}/items/{id}`), i);
      trie.add(key(`POST /r${i}/items`), i);
      trie.add(key(`ANY /r${i}/{proxy+}`), i);
    }
    return trie;
  };
  const small = build(10);
  const large = build(10_000);
  assert.equal(large.size, 30_000);
  const get = t.mock.method(Map.prototype, 'get');
  const lookups = (trie: RouteTrie<number>, method: string, path: string, want: number) => {
    get.mock.resetCalls();
    const m = trie.match(method, path);
    const n = get.mock.callCount();
    assert.equal(m?.value, want, `${method} ${path}`);
    return n;
  };
  // The last route added to each trie, and one of the first ten, which both tries have.
  for (const [method, suffix] of [
    ['GET', '/items/42'],
    ['POST', '/items'],
    ['DELETE', '/a/b/c'],
  ] as const) {
    const smallLate = lookups(small, method, `/r9${suffix}`, 9);
    const largeLate = lookups(large, method, `/r9999${suffix}`, 9999);
    const largeEarly = lookups(large, method, `/r9${suffix}`, 9);
    assert.ok(smallLate > 0);
    assert.equal(largeLate, smallLate, `${method}: late route in 30,000 vs 30`);
    assert.equal(largeEarly, smallLate, `${method}: early route in 30,000 vs 30`);
  }
  // A miss costs no more either.
  get.mock.resetCalls();
  assert.equal(small.match('GET', '/nope/items/1'), undefined);
  const smallMiss = get.mock.callCount();
  get.mock.resetCalls();
  assert.equal(large.match('GET', '/nope/items/1'), undefined);
  assert.equal(get.mock.callCount(), smallMiss);
});
