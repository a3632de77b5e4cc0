import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { ManualClock } from '../../src/clock.js';
import { cacheCommand } from '../../src/cache/cli.js';
import { spawnCli } from '../helpers/cli.js';
import { createKey } from '../access/key-helpers.js';
import { call } from '../helpers/http-call.js';
import { startCacheRig } from './cache-helpers.js';
import { loadConfigFile } from '../../src/features.js';

const SECRET = 'a-cache-test-secret-of-at-least-32-chars';
const JWT_API = [
  '    authorizers:',
  '      jwt: { type: jwt, issuer: https://issuer.test, audiences: [shop], secret: ' + SECRET + ' }',
].join('\n');
const JWT_ROUTE = [
  '      - route: GET /{proxy+}',
  '        authorizer: jwt',
  '        integration: { type: http_proxy, uri: "UPSTREAM/{proxy}" }',
].join('\n');

function token(clock: ManualClock, scope: string): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  return new SignJWT({ sub: 'u', aud: 'shop', iss: 'https://issuer.test', scope, iat: now, exp: now + 3600 })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
}

const NO_CACHE = { 'cache-control': 'max-age=0' };

/** The CLI in a child process, awaited without blocking this process (the gateway under test runs here). */
async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnCli(args);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('cache invalidation: Cache-Control: max-age=0', () => {
  it('without requireAuthorization any client refetches and replaces the entry', async () => {
    const rig = await startCacheRig('{ enabled: true, requireAuthorization: false }');
    try {
      await call(rig.gw.port, 'GET', '/prod/x');
      const refreshed = await call(rig.gw.port, 'GET', '/prod/x', NO_CACHE);
      assert.equal(refreshed.headers['x-cache'], 'Miss');
      assert.equal(JSON.parse(refreshed.body).n, 2);
      const after = await call(rig.gw.port, 'GET', '/prod/x');
      assert.deepEqual([after.headers['x-cache'], JSON.parse(after.body).n], ['Hit', 2], 'the entry was replaced');
    } finally {
      await rig.close();
    }
  });

  it('FAIL_WITH_403: an unauthorized caller gets 403 and the backend is not called', async () => {
    const rig = await startCacheRig('{ enabled: true, unauthorizedStrategy: FAIL_WITH_403 }');
    try {
      await call(rig.gw.port, 'GET', '/prod/x');
      const r = await call(rig.gw.port, 'GET', '/prod/x', { 'cache-control': 'no-cache, max-age=0' });
      assert.equal(r.status, 403);
      assert.deepEqual(JSON.parse(r.body), { message: 'User is not authorized to invalidate the cache' });
      assert.equal(r.headers['x-amzn-errortype'], 'AccessDeniedException');
      assert.equal(rig.up.requests.length, 1);
    } finally {
      await rig.close();
    }
  });

  it('SUCCEED_WITH_RESPONSE_HEADER (the default): served from the cache with a Warning header', async () => {
    const rig = await startCacheRig('{ enabled: true }');
    try {
      await call(rig.gw.port, 'GET', '/prod/x');
      const r = await call(rig.gw.port, 'GET', '/prod/x', NO_CACHE);
      assert.deepEqual([r.status, r.headers['x-cache'], JSON.parse(r.body).n], [200, 'Hit', 1]);
      assert.match(String(r.headers.warning), /^199 portico ".*may not invalidate/);
      assert.equal(rig.up.requests.length, 1);
      const plain = await call(rig.gw.port, 'GET', '/prod/x');
      assert.equal(plain.headers.warning, undefined);
    } finally {
      await rig.close();
    }
  });

  it('SUCCEED_WITHOUT_RESPONSE_HEADER: served from the cache, no warning', async () => {
    const rig = await startCacheRig('{ enabled: true, unauthorizedStrategy: SUCCEED_WITHOUT_RESPONSE_HEADER }');
    try {
      await call(rig.gw.port, 'GET', '/prod/x');
      const r = await call(rig.gw.port, 'GET', '/prod/x', NO_CACHE);
      assert.deepEqual([r.headers['x-cache'], r.headers.warning, rig.up.requests.length], ['Hit', undefined, 1]);
    } finally {
      await rig.close();
    }
  });

  it('an unauthorized max-age=0 on a miss is fetched normally (and stored), with the warning', async () => {
    const rig = await startCacheRig('{ enabled: true }');
    try {
      const r = await call(rig.gw.port, 'GET', '/prod/y', NO_CACHE);
      assert.equal(r.headers['x-cache'], 'Miss');
      assert.ok(r.headers.warning);
      assert.equal((await call(rig.gw.port, 'GET', '/prod/y')).headers['x-cache'], 'Hit');
    } finally {
      await rig.close();
    }
  });

  it('authorized invalidation: a JWT scope listed in invalidators.scopes refetches; another scope does not', async () => {
    const rig = await startCacheRig(
      '{ enabled: true, unauthorizedStrategy: FAIL_WITH_403, invalidators: { scopes: [cache:invalidate] } }',
      { apiExtra: JWT_API, routes: JWT_ROUTE },
    );
    try {
      const reader = { authorization: `Bearer ${await token(rig.clock, 'items:read')}` };
      const admin = { authorization: `Bearer ${await token(rig.clock, 'items:read cache:invalidate')}` };
      assert.equal((await call(rig.gw.port, 'GET', '/prod/z')).status, 401, 'the authorizer runs before the cache');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/z', reader)).headers['x-cache'], 'Miss');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/z', { ...reader, ...NO_CACHE })).status, 403);
      const fresh = await call(rig.gw.port, 'GET', '/prod/z', { ...admin, ...NO_CACHE });
      assert.deepEqual([fresh.status, fresh.headers['x-cache'], JSON.parse(fresh.body).n], [200, 'Miss', 2]);
      const hit = await call(rig.gw.port, 'GET', '/prod/z', reader);
      assert.deepEqual([hit.headers['x-cache'], JSON.parse(hit.body).n], ['Hit', 2]);
      assert.equal(rig.up.requests.length, 2);
    } finally {
      await rig.close();
    }
  });
});

describe('cache flush: admin API and CLI', () => {
  const routes = [
    '      - route: GET /pets/{id}',
    '        integration: { type: http_proxy, uri: "UPSTREAM/pets/{id}" }',
    '      - route: GET /toys/{id}',
    '        integration: { type: http_proxy, uri: "UPSTREAM/toys/{id}" }',
  ].join('\n');

  it('DELETE /cache/:api/:stage flushes the stage, a route, or a key prefix; GET /cache shows the counts', async () => {
    const rig = await startCacheRig('{ enabled: true }', { routes });
    const admin = (method: string, path: string, auth = true) =>
      fetch(new URL(path, rig.gw.gw.adminUrl), {
        method,
        headers: auth ? { authorization: `Bearer ${rig.gw.gw.adminToken}` } : {},
      });
    const fill = async () => {
      for (const p of ['/prod/pets/1', '/prod/pets/2', '/prod/pets/10', '/prod/toys/1'])
        await call(rig.gw.port, 'GET', p);
    };
    const xcache = async (p: string) => (await call(rig.gw.port, 'GET', p)).headers['x-cache'];
    try {
      await fill();
      const stats = (await (await admin('GET', '/cache')).json()) as {
        stages: { api: string; entries: number; misses: number }[];
      };
      assert.deepEqual(
        stats.stages.map((s) => [s.api, s.entries, s.misses]),
        [['shop', 4, 4]],
      );
      let r = await admin('DELETE', `/cache/shop/prod?route=${encodeURIComponent('GET /toys/{id}')}`);
      assert.deepEqual(await r.json(), { api: 'shop', stage: 'prod', route: 'GET /toys/{id}', flushed: 1 });
      assert.equal(await xcache('/prod/toys/1'), 'Miss');
      assert.equal(await xcache('/prod/pets/1'), 'Hit');
      r = await admin('DELETE', `/cache/shop/prod?keyPrefix=${encodeURIComponent('GET /pets/1')}`);
      assert.equal(((await r.json()) as { flushed: number }).flushed, 2, '/pets/1 and /pets/10');
      assert.equal(await xcache('/prod/pets/2'), 'Hit');
      assert.equal(await xcache('/prod/pets/10'), 'Miss');
      r = await admin('DELETE', '/cache/shop/prod');
      assert.equal(((await r.json()) as { flushed: number }).flushed, 3, 'pets/2, and toys/1 and pets/10 stored again');
      assert.equal(await xcache('/prod/pets/2'), 'Miss');

      assert.equal((await admin('DELETE', '/cache/shop/prod', false)).status, 401);
      r = await admin('DELETE', '/cache/nope/prod');
      assert.equal(r.status, 404);
      assert.match(((await r.json()) as { message: string }).message, /no API "nope" \(APIs: shop\)/);
      r = await admin('DELETE', '/cache/shop/dev');
      assert.match(((await r.json()) as { message: string }).message, /API "shop" has no stage "dev" \(stages: prod\)/);
      r = await admin('DELETE', `/cache/shop/prod?route=${encodeURIComponent('GET /cats')}`);
      assert.equal(r.status, 400);
      assert.match(
        ((await r.json()) as { message: string }).message,
        /no route "GET \/cats" \(routes: GET \/pets\/\{id\}, GET \/toys\/\{id\}\)/,
      );
    } finally {
      await rig.close();
    }
  });

  it('portico cache flush finds the running gateway like portico reload does, and reports what it flushed', async () => {
    const rig = await startCacheRig('{ enabled: true }', { routes, extra: 'dataDir: ./data' });
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      env: {},
      readConfig: (file: string) => loadConfigFile(file, {}),
    };
    try {
      for (const p of ['/prod/pets/1', '/prod/pets/2', '/prod/toys/1']) await call(rig.gw.port, 'GET', p);
      // Through the real binary once: command table, discovery via <dataDir>/runtime.json and the token file.
      const r = await runCli([
        'cache',
        'flush',
        '-c',
        rig.gw.configPath,
        '--api',
        'shop',
        '--stage',
        'prod',
        '--route',
        'GET /pets/{id}',
      ]);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout.trim(), 'flushed 2 entries from shop/prod route GET /pets/{id}');
      assert.equal(r.code, 0);
      // The rest in-process (same code, no process start-up each time).
      assert.equal(await cacheCommand(['stats', '-c', rig.gw.configPath, '--json'], io), 0);
      assert.equal((JSON.parse(out.pop() as string) as { entries: number }[])[0]?.entries, 1);
      const direct = ['--admin', rig.gw.gw.adminUrl, '--token', rig.gw.gw.adminToken];
      assert.equal(await cacheCommand(['flush', ...direct, '--api', 'shop', '--stage', 'prod'], io), 0);
      assert.equal(out.pop(), 'flushed 1 entry from shop/prod');
      assert.equal(await cacheCommand(['flush', ...direct, '--api', 'shop', '--stage', 'nope'], io), 1);
      assert.match(err.pop() as string, /portico cache flush: API "shop" has no stage "nope" \(stages: prod\)/);
      await assert.rejects(cacheCommand(['flush', '--api', 'shop'], io), /--stage NAME is required/);
      await assert.rejects(cacheCommand(['purge'], io), /unknown subcommand "purge" \(flush, stats/);
      await assert.rejects(cacheCommand(['flush', '--nope'], io), /portico cache flush: unknown option --nope/);
      const bad = [
        '--admin',
        rig.gw.gw.adminUrl,
        '--token',
        'wrong-token-wrong-token',
        '--api',
        'shop',
        '--stage',
        'prod',
      ];
      await assert.rejects(cacheCommand(['flush', ...bad], io), /rejected the token/);
    } finally {
      await rig.close();
    }
  });
});

describe('cache and API keys', () => {
  const keyed = {
    extra: 'usagePlans: { basic: { stages: { shop/prod: {} } } }',
    routes: [
      '      - route: GET /{proxy+}',
      '        apiKeyRequired: true',
      '        integration: { type: http_proxy, uri: "UPSTREAM/{proxy}" }',
    ].join('\n'),
  };

  it('authorized invalidation: an API key id listed in invalidators.apiKeyIds refetches; another key gets the strategy', async () => {
    const rig = await startCacheRig('{ enabled: true, unauthorizedStrategy: FAIL_WITH_403 }', keyed);
    try {
      const reader = await createKey(rig.gw.gw, { name: 'reader', plans: ['basic'] });
      const ops = await createKey(rig.gw.gw, { name: 'ops', plans: ['basic'] });
      const yaml = await readFile(rig.gw.configPath, 'utf8');
      await rig.gw.write(yaml.replace('FAIL_WITH_403 }', `FAIL_WITH_403, invalidators: { apiKeyIds: [${ops.id}] } }`));
      assert.equal((await rig.gw.gw.reload('test')).ok, true);
      const asReader = { 'x-api-key': reader.value };
      assert.equal((await call(rig.gw.port, 'GET', '/prod/k')).status, 403, 'the API key check runs before the cache');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/k', asReader)).headers['x-cache'], 'Miss');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/k', { ...asReader, ...NO_CACHE })).status, 403);
      const fresh = await call(rig.gw.port, 'GET', '/prod/k', { 'x-api-key': ops.value, ...NO_CACHE });
      assert.deepEqual([fresh.headers['x-cache'], JSON.parse(fresh.body).n], ['Miss', 2]);
      const hit = await call(rig.gw.port, 'GET', '/prod/k', asReader);
      assert.deepEqual([hit.headers['x-cache'], JSON.parse(hit.body).n], ['Hit', 2]);
    } finally {
      await rig.close();
    }
  });

  it('perKey: callers with different API keys never share an entry', async () => {
    const rig = await startCacheRig('{ enabled: true, perKey: true }', keyed);
    try {
      const a = { 'x-api-key': (await createKey(rig.gw.gw, { name: 'a', plans: ['basic'] })).value };
      const b = { 'x-api-key': (await createKey(rig.gw.gw, { name: 'b', plans: ['basic'] })).value };
      assert.equal((await call(rig.gw.port, 'GET', '/prod/p', a)).headers['x-cache'], 'Miss');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/p', b)).headers['x-cache'], 'Miss');
      const again = await call(rig.gw.port, 'GET', '/prod/p', a);
      assert.deepEqual([again.headers['x-cache'], JSON.parse(again.body).n], ['Hit', 1]);
      assert.equal(rig.up.requests.length, 2);
    } finally {
      await rig.close();
    }
  });
});
