import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { adminRoutes } from '../../src/features.js';

const ADMIN_ROUTES = adminRoutes();
import type { AdminRoute } from '../../src/admin/server.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { rawExchange } from '../proxy/proxy-helpers.js';
import { inLanes } from './harness.js';
import { FULL, recordFigure } from './results.js';

/**
 * Issue 16, item 1: fuzz both listeners over real sockets with raw `net` writes (so no HTTP client
 * refuses a request line). The admin fuzz covers every admin route (src/features.ts) with random methods,
 * paths built from the route patterns, valid and broken percent-encodings, headers and bodies, with
 * and without the token; the data-listener fuzz covers request lines (methods, targets, versions).
 * Fast variants run in `npm test`; PORTICO_FULL=1 runs the full ones.
 */

const TOKEN = 'fuzz-admin-token-0123456789abcdef';
const BATCH = 50;
const LIMIT_MS = 4000;

/** A valid status line, then headers; or nothing at all (a clean close). */
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n/;

interface Answer {
  /** The status, 0 for a clean close without bytes, -1 for bytes that are not a status line. */
  status: number;
  /** The server neither answered completely nor closed within LIMIT_MS. */
  hung: boolean;
  raw: string;
}

async function send(port: number, payload: Buffer): Promise<Answer> {
  const ex = await rawExchange(port, payload, { limitMs: LIMIT_MS });
  // Interim 1xx answers (100 Continue for `Expect: 100-continue`) come before the final one.
  const data = ex.data.replace(/^(HTTP\/1\.1 1\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n)+/, '');
  const m = STATUS_LINE.exec(data);
  const status = data === '' ? 0 : m ? Number(m[1]) : -1;
  return { status, hung: !ex.closedByServer && status <= 0, raw: data };
}

const get = (path: string, token?: string) =>
  Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: a\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Connection: close\r\n\r\n`,
    'latin1',
  );

function bodyOf(raw: string): string {
  const i = raw.indexOf('\r\n\r\n');
  return i === -1 ? '' : raw.slice(i + 4);
}

// ---- arbitraries -------------------------------------------------------------------------------

const BROKEN_PCT = [
  '%ZZ',
  '%E0%A4%A',
  '%',
  '%4',
  '%%',
  '%C0%AF',
  '%00',
  '%FF%FE',
  '%E0%A4',
  '%uD800',
  '%2F',
  '%2e%2e',
  '%20',
];
const segmentArb = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.~-]{1,12}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map((s) => encodeURIComponent(s)) },
  { weight: 3, arbitrary: fc.constantFrom(...BROKEN_PCT) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.stringMatching(/^[a-z0-9]{0,4}$/), fc.constantFrom(...BROKEN_PCT)).map(([a, b]) => a + b),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '..', '.', ':id', '*', '[', ']', '@', ';x=1', 'a?b', 'a#b') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

/** A target naming one of the admin API's public routes (origin- or absolute-form). */
function isPublicTarget(target: string): boolean {
  const path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  return /^\/(healthz|readyz|dashboard)(?=[/?#]|$)/.test(path);
}

/** A request target built from one route pattern: random segments for `:name`, extra segments, prefixes. */
const adminTargetArb = (routes: readonly AdminRoute[]) =>
  fc
    .tuple(
      fc.constantFrom(...routes.map((r) => r.path)),
      fc.array(segmentArb, { minLength: 3, maxLength: 3 }),
      fc.constantFrom('', '', '', '/', '//', '/x', '/%ZZ'),
      fc.oneof(
        fc.constant(''),
        fc.constant(''),
        fc.stringMatching(/^\?[A-Za-z0-9=&%]{0,16}$/),
        fc.constantFrom('?from=%ZZ', '?to=2020-13-45', '?a=%E0%A4%A', '?&&='),
      ),
      fc.constantFrom('', '', '', '', 'http://a:99999', 'http://127.0.0.1', 'HTTP://[', '//[', 'ftp://x'),
      fc.nat(50),
    )
    .map(([pattern, segs, tail, query, prefix, odd]) => {
      if (odd === 0) return '*';
      if (odd === 1) return '//[';
      if (odd === 2) return 'a:1';
      let i = 0;
      const path = pattern.replace(/:[a-z]+/gi, () => segs[i++ % segs.length] as string);
      return `${prefix}${path}${tail}${query}`;
    });

const methodArb = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'get', 'post', 'PROPFIND', 'TRACE', 'CONNECT', 'M-SEARCH', 'PURGE'),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,40}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 10 }) },
);

const headerArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('Content-Type: application/json', 'Accept: application/json', 'User-Agent: fuzz'),
  },
  fc
    .tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/), fc.stringMatching(/^[ -~]{0,30}$/))
    .map(([k, v]) => `${k}: ${v}`),
  fc.constantFrom(
    'Content-Type: application/json',
    'Content-Type: text/plain',
    'Accept: */*',
    'Expect: 100-continue',
    'Cookie: a=b',
    'X-Forwarded-For: 1.2.3.4',
  ),
  fc.constantFrom(
    'Foo bar',
    ' leading: space',
    'X-Null: a\0b',
    'X-Long: ' + 'a'.repeat(9000),
    'Transfer-Encoding: gzip',
    'Content-Length: x',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }),
);

const bodyArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '{"name":"fuzz"}',
      '{"enabled":false}',
      '{"plans":["basic"]}',
      '[]',
      'null',
      '{',
      '[[[[[[[[',
      '{"a":1e999}',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

type AuthKind = 'valid' | 'none' | 'wrong' | 'prefix' | 'lower' | 'basic' | 'bare' | 'twice' | 'empty';
const badAuthArb = fc.constantFrom<AuthKind>('none', 'wrong', 'prefix', 'lower', 'basic', 'bare', 'twice', 'empty');

function authHeaders(kind: AuthKind): string[] {
  switch (kind) {
    case 'valid':
      return [`Authorization: Bearer ${TOKEN}`];
    case 'none':
      return [];
    case 'wrong':
      return [`Authorization: Bearer ${TOKEN.slice(0, -1)}x`];
    case 'prefix':
      return [`Authorization: Bearer ${TOKEN.slice(0, 10)}`];
    case 'lower':
      return [`authorization: bearer ${TOKEN}`];
    case 'basic':
      return [`Authorization: Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`];
    case 'bare':
      return [`Authorization: ${TOKEN}`];
    case 'twice':
      return [`Authorization: Bearer x`, `Authorization: Bearer ${TOKEN}`];
    case 'empty':
      return ['Authorization: Bearer '];
  }
}

interface Req {
  method: string;
  target: string;
  headers: string[];
  body: string;
  chunked: boolean;
  version: string;
}

const adminReqArb = (auth: fc.Arbitrary<AuthKind>) =>
  fc
    .record({
      method: methodArb,
      target: adminTargetArb(ADMIN_ROUTES),
      headers: fc.array(headerArb, { maxLength: 4 }),
      body: bodyArb,
      chunked: fc.boolean(),
      version: fc.oneof(
        { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
        fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', ''),
      ),
      auth,
    })
    .map((r): Req & { auth: AuthKind } => ({ ...r, headers: [...authHeaders(r.auth), ...r.headers] }));

/** Raw bytes: the body framed by a correct Content-Length or chunked encoding (never a short body). */
function payload(r: Req): Buffer {
  const body = Buffer.from(r.body, 'utf8');
  const framing =
    body.length === 0 ? [] : r.chunked ? ['Transfer-Encoding: chunked'] : [`Content-Length: ${body.length}`];
  const head = Buffer.from(
    `${r.method} ${r.target} ${r.version}\r\nHost: a\r\n${[...r.headers, ...framing].join('\r\n')}${r.headers.length + framing.length ? '\r\n' : ''}Connection: close\r\n\r\n`,
    'latin1',
  );
  const framed =
    body.length === 0
      ? body
      : r.chunked
        ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
        : body;
  return Buffer.concat([head, framed]);
}

// ---- admin listener ----------------------------------------------------------------------------

const ADMIN_CONFIG = `version: 1
admin: { token: ${TOKEN} }
server: { timeouts: { drainMs: 1000, headersMs: 2000, requestMs: 3000 } }
usagePlans:
  basic: { stages: { m/$default: {} } }
apis:
  - name: m
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /ok, integration: { type: mock, statusCode: 200, body: ok } }
      - { route: GET /keyed, apiKeyRequired: true, integration: { type: mock, statusCode: 200, body: keyed } }
`;

describe(`admin API fuzz (${FULL ? 'full' : 'fast'})`, () => {
  let gw: TestGateway;
  let adminPort: number;
  /** Handler calls per route while the fuzz runs, counted by wrapping each route's handler. */
  const calls = new Map<AdminRoute, number>();
  const originals = new Map<AdminRoute, AdminRoute['handle']>();
  let counting = false;

  before(async () => {
    gw = await startTestGateway(ADMIN_CONFIG);
    adminPort = Number(new URL(gw.gw.adminUrl as string).port);
    for (const r of ADMIN_ROUTES) {
      const orig = r.handle;
      originals.set(r, orig);
      (r as { handle: AdminRoute['handle'] }).handle = (req) => {
        // Public routes (r.public: health, the dashboard's page and assets) are meant to run without a token.
        if (counting && !r.public) calls.set(r, (calls.get(r) ?? 0) + 1);
        return orig(req);
      };
    }
    // One key, so that the key list is something to compare.
    const created = await send(
      adminPort,
      payload({
        method: 'POST',
        target: '/keys',
        headers: [`Authorization: Bearer ${TOKEN}`, 'Content-Type: application/json'],
        body: '{"name":"seed","plans":["basic"]}',
        chunked: false,
        version: 'HTTP/1.1',
      }),
    );
    assert.equal(created.status, 201, created.raw);
  });
  after(async () => {
    for (const [r, h] of originals) (r as { handle: AdminRoute['handle'] }).handle = h;
    await gw.close();
  });

  async function healthy(): Promise<void> {
    const s = await send(adminPort, get('/status', TOKEN));
    assert.equal(s.status, 200, `admin GET /status after a batch: ${s.raw}`);
    const d = await send(gw.port, get('/ok'));
    assert.equal(d.status, 200, `data listener after a batch: ${d.raw}`);
  }

  async function state(): Promise<{ revision: unknown; keys: string }> {
    const s = await send(adminPort, get('/status', TOKEN));
    const k = await send(adminPort, get('/keys', TOKEN));
    assert.equal(k.status, 200, k.raw);
    const keys = JSON.parse(bodyOf(k.raw)) as { items: unknown[] };
    return {
      revision: (JSON.parse(bodyOf(s.raw)) as { revision: unknown }).revision,
      keys: JSON.stringify(keys.items),
    };
  }

  test('unauthenticated fuzz: every route answers 401 (or a parser 4xx), no handler runs, no 5xx, state unchanged, the gateway keeps serving', async () => {
    const runs = FULL ? 5000 : 300;
    const reqs = fc.sample(adminReqArb(badAuthArb), { numRuns: runs, seed: 1601 });
    const before = await state();
    const bad: string[] = [];
    const statuses = new Map<number, number>();
    let fivexx = 0;
    let hung = 0;
    calls.clear();
    counting = true;
    try {
      for (let b = 0; b < reqs.length; b += BATCH) {
        const batch = reqs.slice(b, b + BATCH);
        const answers = await inLanes(batch, 8, 0, (r) => send(adminPort, payload(r)));
        answers.forEach((a, i) => {
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          if (a.status >= 500) fivexx++;
          if (a.hung) hung++;
          // 401: the token check; 400/431 (and 413, 408): Node's parser refused the request before routing.
          // The public routes (docs/operations.md: /healthz, /readyz, the dashboard's login page and
          // assets) answer without a token; for them only a 5xx or a hang is a failure.
          const ok =
            a.status === 401
              ? /\r\nwww-authenticate: Bearer /i.test(a.raw)
              : [0, 400, 408, 413, 431].includes(a.status) ||
                (isPublicTarget((batch[i] as Req).target) && a.status < 500);
          if (!ok || a.hung)
            bad.push(
              `${a.status}${a.hung ? ' (hung)' : ''} for ${JSON.stringify(
                payload(batch[i] as Req)
                  .toString('latin1')
                  .slice(0, 200),
              )}: ${JSON.stringify(a.raw.slice(0, 120))}`,
            );
        });
        counting = false;
        await healthy();
        counting = true;
      }
    } finally {
      counting = false;
    }
    const reached = [...calls.values()].reduce((n, c) => n + c, 0);
    const after = await state();
    recordFigure({
      id: 'admin-fuzz-unauthenticated',
      figure:
        'Admin API fuzz without a valid token (every route; random methods, paths, percent-encodings, headers, bodies; raw sockets): requests / crashes / reached a handler / 5xx / state changes',
      value: `${runs} / 0 / ${reached} / ${fivexx} / ${before.revision === after.revision && before.keys === after.keys ? 0 : 1}`,
      target: '0 crashes, 0 reached a handler, 0 5xx, state unchanged',
      test: 'test/reliability/fuzz-listeners.test.ts › unauthenticated fuzz',
      details: { statuses: Object.fromEntries(statuses), hung, routes: ADMIN_ROUTES.length, seed: 1601 },
    });
    assert.deepEqual(bad.slice(0, 5), []);
    assert.equal(
      reached,
      0,
      `handlers reached without a token: ${[...calls].map(([r, n]) => `${r.method} ${r.path} ×${n}`).join(', ')}`,
    );
    assert.deepEqual(after, before, 'status revision and key list unchanged');
  });

  test('authenticated fuzz: every answer has a valid status line, no 5xx, the gateway keeps serving', async () => {
    const runs = FULL ? 5000 : 300;
    // Not the routes that act on the process or the config (restart, reload): they would measure the reload.
    const routes = ADMIN_ROUTES.filter((r) => r.method === 'GET' || !/restart|reload/.test(r.path));
    const arb = fc
      .record({
        method: methodArb,
        target: adminTargetArb(routes),
        headers: fc.array(headerArb, { maxLength: 3 }),
        body: bodyArb,
        chunked: fc.boolean(),
        version: fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom('HTTP/1.0', 'HTTP/9.9')),
      })
      .filter((r) => !/restart|reload/i.test(r.target))
      .map((r): Req => ({ ...r, headers: [`Authorization: Bearer ${TOKEN}`, ...r.headers] }));
    const reqs = fc.sample(arb, { numRuns: runs, seed: 1602 });
    const bad: string[] = [];
    const statuses = new Map<number, number>();
    let fivexx = 0;
    calls.clear();
    counting = true;
    try {
      for (let b = 0; b < reqs.length; b += BATCH) {
        const batch = reqs.slice(b, b + BATCH);
        const answers = await inLanes(batch, 8, 0, (r) => send(adminPort, payload(r)));
        answers.forEach((a, i) => {
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          if (a.status >= 500) fivexx++;
          if (a.status < 0 || a.status >= 500 || a.hung)
            bad.push(
              `${a.status}${a.hung ? ' (hung)' : ''} for ${JSON.stringify(
                payload(batch[i] as Req)
                  .toString('latin1')
                  .slice(0, 200),
              )}: ${JSON.stringify(a.raw.slice(0, 160))}`,
            );
        });
        counting = false;
        await healthy();
        counting = true;
      }
    } finally {
      counting = false;
    }
    const reached = [...calls.values()].reduce((n, c) => n + c, 0);
    recordFigure({
      id: 'admin-fuzz-authenticated',
      figure:
        'Admin API fuzz with the token (every route but reload/restart; random methods, paths, encodings, headers, bodies; raw sockets): requests / crashes / handler calls / 5xx',
      value: `${runs} / 0 / ${reached} / ${fivexx}`,
      target: '0 crashes, 0 5xx',
      test: 'test/reliability/fuzz-listeners.test.ts › authenticated fuzz',
      details: { statuses: Object.fromEntries(statuses), seed: 1602 },
    });
    assert.deepEqual(bad.slice(0, 5), []);
    assert.ok(reached > 0, 'the fuzz reached the handlers with the token');
  });
});

// ---- data listener -----------------------------------------------------------------------------

const dataTargetArb = fc.oneof(
  { weight: 4, arbitrary: fc.array(segmentArb, { maxLength: 5 }).map((s) => `/${s.join('/')}`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('/ok', '/p/', '/p/a/'), fc.array(segmentArb, { maxLength: 3 }))
      .map(([p, s]) => p + s.join('/')),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '*',
      '//[',
      '//',
      'http://a:99999/',
      'http://a:99999/ok',
      'http://[::1/',
      'http://a:-1/p/x',
      'HTTP://A/ok',
      'a:1',
      '127.0.0.1:80',
      '[::1]:443',
      'http://u@a:1@b/ok',
      'http:/ok',
      '?',
      '/?#',
      '/ok#frag',
      '/p/%ZZ',
      '/p/%E0%A4%A',
      '/p/%',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^https?:\/\/[a-z0-9.:[\]@-]{0,20}(\/[A-Za-z0-9%._~-]{0,10}){0,3}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => `/${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => `/p/${s}`) },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => `/p/${'a'.repeat(n)}`) },
);

const dataReqArb = fc.record({
  method: methodArb,
  target: dataTargetArb,
  version: fc.oneof(
    { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
    fc.constantFrom('HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.10', 'http/1.1', 'HTTP/1.1\t', ''),
  ),
  sep: fc.oneof({ weight: 10, arbitrary: fc.constant(' ') }, fc.constantFrom('  ', '\t')),
});

describe(`data listener request-line fuzz (${FULL ? 'full' : 'fast'})`, () => {
  let gw: TestGateway;
  let up: TestUpstream;
  before(async () => {
    up = await startUpstream();
    gw = await startTestGateway(`version: 1
admin: { enabled: false }
server: { timeouts: { drainMs: 1000, headersMs: 2000, requestMs: 3000 } }
apis:
  - name: m
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /ok, integration: { type: mock, statusCode: 200, body: ok } }
      - { route: "ANY /p/{proxy+}", integration: { type: http_proxy, uri: "${up.url}/{proxy}", timeoutMs: 3000 } }
`);
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('random methods, request targets and versions: valid status lines (or a clean close), no 5xx, the gateway keeps serving', async () => {
    const runs = FULL ? 5000 : 300;
    const reqs = fc.sample(dataReqArb, { numRuns: runs, seed: 1603 });
    const bad: string[] = [];
    const statuses = new Map<number, number>();
    let fivexx = 0;
    const line = (r: (typeof reqs)[number]) =>
      Buffer.from(
        `${r.method}${r.sep}${r.target}${r.sep}${r.version}\r\nHost: a\r\nConnection: close\r\n\r\n`,
        'latin1',
      );
    for (let b = 0; b < reqs.length; b += BATCH) {
      const batch = reqs.slice(b, b + BATCH);
      const answers = await inLanes(batch, 8, 0, (r) => send(gw.port, line(r)));
      answers.forEach((a, i) => {
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status >= 500) fivexx++;
        if (a.status < 0 || a.status >= 500 || a.hung)
          bad.push(
            `${a.status}${a.hung ? ' (hung)' : ''} for ${JSON.stringify(
              line(batch[i] as (typeof reqs)[number])
                .toString('latin1')
                .slice(0, 200),
            )}: ${JSON.stringify(a.raw.slice(0, 160))}`,
          );
      });
      const ok = await send(gw.port, get('/ok'));
      assert.equal(ok.status, 200, `the data listener after a batch: ${ok.raw}`);
    }
    recordFigure({
      id: 'data-fuzz-request-line',
      figure:
        'Data listener request-line fuzz (random methods, origin/absolute/authority/asterisk targets, encodings, control and non-ASCII bytes, versions; raw sockets): requests / crashes / 5xx / not a status line',
      value: `${runs} / 0 / ${fivexx} / ${statuses.get(-1) ?? 0}`,
      target: '0 / 0 / 0',
      test: 'test/reliability/fuzz-listeners.test.ts › data listener request-line fuzz',
      details: { statuses: Object.fromEntries(statuses), forwarded: up.requests.length, seed: 1603 },
    });
    assert.deepEqual(bad.slice(0, 5), []);
  });
});
