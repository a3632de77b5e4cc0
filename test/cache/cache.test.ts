import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CacheService } from '../../src/cache/service.js';
import { ManualClock } from '../../src/clock.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { parseMetrics, scrape, value } from '../observability/helpers.js';
import { startCacheRig } from './cache-helpers.js';

describe('stage cache: the seed scenario', () => {
  it('with the stage cache on and TTL 300, repeated GETs reach the backend once', async () => {
    const rig = await startCacheRig('{ enabled: true, ttlSeconds: 300 }');
    try {
      const first = await call(rig.gw.port, 'GET', '/prod/items/1');
      assert.equal(first.status, 200);
      assert.equal(first.headers['x-cache'], 'Miss');
      for (let i = 0; i < 20; i++) {
        const r = await call(rig.gw.port, 'GET', '/prod/items/1');
        assert.equal(r.status, 200);
        assert.equal(r.body, first.body);
        assert.equal(r.headers['x-cache'], 'Hit');
        assert.equal(r.headers.age, '0');
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.headers['content-length'], String(Buffer.byteLength(first.body)));
        assert.ok(r.headers['x-request-id']);
        assert.notEqual(r.headers['x-request-id'], first.headers['x-request-id']);
      }
      assert.equal(rig.up.requests.length, 1);
    } finally {
      await rig.close();
    }
  });
});

describe('stage cache: TTL and methods', () => {
  it('an entry is fresh for ttlSeconds on the injected clock, with Age counting up, then refetched', async () => {
    const rig = await startCacheRig('{ enabled: true, ttlSeconds: 300 }');
    try {
      assert.equal((await call(rig.gw.port, 'GET', '/prod/a')).headers['x-cache'], 'Miss');
      rig.clock.advance(299_999);
      const hit = await call(rig.gw.port, 'GET', '/prod/a');
      assert.equal(hit.headers['x-cache'], 'Hit');
      assert.equal(hit.headers.age, '299');
      assert.equal(JSON.parse(hit.body).n, 1);
      rig.clock.advance(1);
      const miss = await call(rig.gw.port, 'GET', '/prod/a');
      assert.equal(miss.headers['x-cache'], 'Miss');
      assert.equal(JSON.parse(miss.body).n, 2);
      assert.equal((await call(rig.gw.port, 'GET', '/prod/a')).headers['x-cache'], 'Hit');
      assert.equal(rig.up.requests.length, 2);
    } finally {
      await rig.close();
    }
  });

  it('HEAD is answered from the GET entry; other methods bypass', async () => {
    const rig = await startCacheRig('{ enabled: true }');
    try {
      const get = await call(rig.gw.port, 'GET', '/prod/h');
      const head = await call(rig.gw.port, 'HEAD', '/prod/h');
      assert.equal(head.headers['x-cache'], 'Hit');
      assert.equal(head.body, '');
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)));
      assert.equal(rig.up.requests.length, 1);
      for (let i = 0; i < 2; i++) {
        const post = await call(rig.gw.port, 'POST', '/prod/h', {}, 'x');
        assert.equal(post.headers['x-cache'], 'Bypass');
      }
      assert.equal(rig.up.requests.length, 3);
    } finally {
      await rig.close();
    }
  });

  it('a route can opt out, change the TTL, or opt in when the stage cache is off', async () => {
    const rig = await startCacheRig('{ enabled: false }', {
      routes: [
        '      - route: GET /on',
        '        cache: { enabled: true, ttlSeconds: 10 }',
        '        integration: { type: http_proxy, uri: "UPSTREAM/on" }',
        '      - route: GET /off',
        '        integration: { type: http_proxy, uri: "UPSTREAM/off" }',
      ].join('\n'),
    });
    try {
      await call(rig.gw.port, 'GET', '/prod/on');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/on')).headers['x-cache'], 'Hit');
      rig.clock.advance(10_000);
      assert.equal((await call(rig.gw.port, 'GET', '/prod/on')).headers['x-cache'], 'Miss');
      const off = await call(rig.gw.port, 'GET', '/prod/off');
      assert.equal(off.headers['x-cache'], undefined);
      await call(rig.gw.port, 'GET', '/prod/off');
      assert.equal(rig.up.requests.length, 4);
    } finally {
      await rig.close();
    }
  });

  it('mock integrations are cached too (the observer sees their response)', async () => {
    const rig = await startCacheRig('{ enabled: true }', {
      routes: ['      - route: GET /m', '        integration: { type: mock, statusCode: 200, body: "pong" }'].join(
        '\n',
      ),
    });
    try {
      assert.equal((await call(rig.gw.port, 'GET', '/prod/m')).headers['x-cache'], 'Miss');
      const hit = await call(rig.gw.port, 'GET', '/prod/m');
      assert.equal(hit.headers['x-cache'], 'Hit');
      assert.equal(hit.body, 'pong');
    } finally {
      await rig.close();
    }
  });
});

describe('stage cache: key parameters', () => {
  it('listed query strings and headers are keyed; unlisted ones are ignored, as on AWS; path parameters always count', async () => {
    const rig = await startCacheRig('{ enabled: true }', {
      routes: [
        '      - route: GET /items/{id}',
        '        cache:',
        '          cacheKeyParameters: [method.request.querystring.color, method.request.header.X-Tenant, method.request.path.id]',
        '        integration: { type: http_proxy, uri: "UPSTREAM/items/{id}" }',
      ].join('\n'),
    });
    const get = (path: string, headers: Record<string, string> = {}) => call(rig.gw.port, 'GET', path, headers);
    try {
      assert.equal((await get('/prod/items/1?color=red')).headers['x-cache'], 'Miss');
      assert.equal((await get('/prod/items/1?color=blue')).headers['x-cache'], 'Miss');
      assert.equal((await get('/prod/items/2?color=red')).headers['x-cache'], 'Miss');
      assert.equal((await get('/prod/items/1?color=red&size=9')).headers['x-cache'], 'Hit', 'unlisted query ignored');
      assert.equal(
        (await get('/prod/items/1?color=red', { 'x-other': 'z' })).headers['x-cache'],
        'Hit',
        'unlisted header ignored',
      );
      assert.equal(
        (await get('/prod/items/1?color=red', { 'x-tenant': 'a' })).headers['x-cache'],
        'Miss',
        'listed header keyed',
      );
      assert.equal(
        (await get('/prod/items/1?color=red', { 'X-Tenant': 'a' })).headers['x-cache'],
        'Hit',
        'header names are case-insensitive',
      );
      assert.equal((await get('/prod/items/1?color=red', { 'x-tenant': 'b' })).headers['x-cache'], 'Miss');
      assert.equal(rig.up.requests.length, 5);
    } finally {
      await rig.close();
    }
  });

  it('perKey on a route without API keys: every caller has no key id, so they share one namespace', async () => {
    const rig = await startCacheRig('{ enabled: true, perKey: true }');
    try {
      await call(rig.gw.port, 'GET', '/prod/k');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/k')).headers['x-cache'], 'Hit');
    } finally {
      await rig.close();
    }
  });
});

describe('stage cache: what is stored', () => {
  it('Vary from the backend keys the entry by those request headers', async () => {
    const rig = await startCacheRig('{ enabled: true }', {
      handler: (req, res, n) => {
        const body = `${req.headers['accept-language'] ?? 'none'}:${n}`;
        res.writeHead(200, { vary: 'Accept-Language', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
    });
    const get = (lang?: string) => call(rig.gw.port, 'GET', '/prod/v', lang ? { 'accept-language': lang } : {});
    try {
      assert.equal((await get('en')).body, 'en:1');
      assert.equal((await get('fr')).body, 'fr:2');
      const en = await get('en');
      assert.deepEqual([en.headers['x-cache'], en.body], ['Hit', 'en:1']);
      const fr = await get('fr');
      assert.deepEqual([fr.headers['x-cache'], fr.body], ['Hit', 'fr:2']);
      assert.equal((await get()).body, 'none:3');
      assert.equal((await get()).headers['x-cache'], 'Hit');
      assert.equal(fr.headers.vary, 'Accept-Language');
    } finally {
      await rig.close();
    }
  });

  it('Vary: * is never stored', async () => {
    const rig = await startCacheRig('{ enabled: true }', {
      handler: (_req, res) => {
        res.writeHead(200, { vary: '*', 'content-length': 1 });
        res.end('x');
      },
    });
    try {
      await call(rig.gw.port, 'GET', '/prod/s');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/s')).headers['x-cache'], 'Miss');
    } finally {
      await rig.close();
    }
  });

  for (const [name, status, headers, config] of [
    ['404', 404, {}, '{ enabled: true }'],
    ['500', 500, {}, '{ enabled: true }'],
    ['Set-Cookie', 200, { 'set-cookie': 'sid=secret' }, '{ enabled: true }'],
    ['Cache-Control: private', 200, { 'cache-control': 'private, max-age=60' }, '{ enabled: true }'],
    ['Cache-Control: no-store', 200, { 'cache-control': 'no-store' }, '{ enabled: true }'],
  ] as const) {
    it(`${name} is not stored by default`, async () => {
      const rig = await startCacheRig(config, {
        handler: (_req, res, n) => {
          res.writeHead(status, { ...headers, 'content-length': String(String(n).length) });
          res.end(String(n));
        },
      });
      try {
        const a = await call(rig.gw.port, 'GET', '/prod/x');
        const b = await call(rig.gw.port, 'GET', '/prod/x');
        assert.deepEqual([a.status, a.body, a.headers['x-cache']], [status, '1', 'Miss']);
        assert.deepEqual([b.body, b.headers['x-cache']], ['2', 'Miss']);
        assert.equal(rig.up.requests.length, 2);
      } finally {
        await rig.close();
      }
    });
  }

  it('statuses, setCookie: strip and backendCacheControl: ignore widen what is stored', async () => {
    let status = 404;
    const rig = await startCacheRig(
      "{ enabled: true, statuses: ['2xx', 404], setCookie: strip, backendCacheControl: ignore }",
      {
        handler: (req, res, n) => {
          const h: Record<string, string> = { 'content-length': String(String(n).length) };
          if (req.url === '/cookie') h['set-cookie'] = 'sid=secret';
          if (req.url === '/private') h['cache-control'] = 'private';
          res.writeHead(req.url === '/status' ? status : 200, h);
          res.end(String(n));
        },
      },
    );
    try {
      await call(rig.gw.port, 'GET', '/prod/status');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/status')).headers['x-cache'], 'Hit', '404 listed');
      status = 500;
      const first = await call(rig.gw.port, 'GET', '/prod/cookie');
      assert.equal(first.headers['set-cookie']?.[0], 'sid=secret', 'the caller that fetched it gets its cookie');
      const hit = await call(rig.gw.port, 'GET', '/prod/cookie');
      assert.equal(hit.headers['x-cache'], 'Hit');
      assert.equal(hit.headers['set-cookie'], undefined, 'nobody else does');
      await call(rig.gw.port, 'GET', '/prod/private');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/private')).headers['x-cache'], 'Hit');
    } finally {
      await rig.close();
    }
  });

  it('a body over maxEntryBytes streams through whole and is not stored; one at the limit is', async () => {
    const big = Buffer.alloc(5000, 'b');
    const rig = await startCacheRig('{ enabled: true, maxEntryBytes: 4096 }', {
      handler: (req, res) => {
        if (req.url === '/chunked') {
          // No Content-Length: the size is found out while streaming.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write(big.subarray(0, 3000));
          setImmediate(() => res.end(big.subarray(3000)));
          return;
        }
        const body = req.url === '/fits' ? big.subarray(0, 4096) : big;
        res.writeHead(200, { 'content-length': body.length });
        res.end(body);
      },
    });
    try {
      for (const path of ['/prod/large', '/prod/chunked']) {
        for (let i = 0; i < 2; i++) {
          const r = await call(rig.gw.port, 'GET', path);
          assert.equal(r.body.length, 5000, path);
          assert.equal(r.headers['x-cache'], 'Miss', path);
        }
      }
      await call(rig.gw.port, 'GET', '/prod/fits');
      const fits = await call(rig.gw.port, 'GET', '/prod/fits');
      assert.deepEqual([fits.headers['x-cache'], fits.body.length], ['Hit', 4096]);
      assert.equal(rig.up.requests.length, 5);
    } finally {
      await rig.close();
    }
  });
});

describe('stage cache: capacity and reload', () => {
  it('a stage cache stays within capacityMB: 20× the budget inserted, charged bytes ≤ budget', async () => {
    const body = Buffer.alloc(16 * 1024, 'c');
    const rig = await startCacheRig('{ enabled: true, capacityMB: 0.25 }', {
      handler: (_req, res) => {
        res.writeHead(200, { 'content-length': body.length });
        res.end(body);
      },
    });
    try {
      // 320 distinct 16 KiB responses = 5 MiB through a 256 KiB cache.
      for (let i = 0; i < 320; i++) await call(rig.gw.port, 'GET', `/prod/p${i}`);
      const svc = rig.gw.gw.runtime.services.get('cache') as CacheService;
      const [s] = svc.stats();
      assert.ok(s);
      assert.ok(s.bytes <= 256 * 1024, `bytes ${s.bytes}`);
      assert.ok(s.entries >= 14 && s.entries <= 16, `entries ${s.entries}`);
      assert.equal(s.evictions, 320 - s.entries);
      // The most recent entries are the ones kept.
      assert.equal((await call(rig.gw.port, 'GET', '/prod/p319')).headers['x-cache'], 'Hit');
      assert.equal((await call(rig.gw.port, 'GET', '/prod/p0')).headers['x-cache'], 'Miss');
    } finally {
      await rig.close();
    }
  });

  it('entries survive a reload; a smaller capacityMB evicts down; removing the stage drops its cache', async () => {
    const rig = await startCacheRig('{ enabled: true }');
    try {
      await call(rig.gw.port, 'GET', '/prod/r');
      const text = (await import('node:fs/promises')).readFile(rig.gw.configPath, 'utf8');
      const yaml = await text;
      await rig.gw.write(
        yaml.replace('prod: { cache: { enabled: true } }', 'prod: { cache: { enabled: true, capacityMB: 0.0001 } }'),
      );
      assert.equal((await rig.gw.gw.reload('test')).ok, true);
      const svc = rig.gw.gw.runtime.services.get('cache') as CacheService;
      assert.equal(svc.stats()[0]?.entries, 0, 'a 104-byte budget holds no entry');
      await rig.gw.write(yaml);
      await rig.gw.gw.reload('test');
      await call(rig.gw.port, 'GET', '/prod/r');
      await rig.gw.write(`${yaml}# touched\n`);
      assert.equal((await rig.gw.gw.reload('test')).changed, true);
      assert.equal((await call(rig.gw.port, 'GET', '/prod/r')).headers['x-cache'], 'Hit');
      await rig.gw.write(yaml.replaceAll('prod', 'live'));
      await rig.gw.gw.reload('test');
      assert.deepEqual(svc.stats(), []);
    } finally {
      await rig.close();
    }
  });
});

describe('stage cache: metrics', () => {
  it('hits, misses and evictions reach the metrics service (portico_cache_events_total)', async () => {
    const body = Buffer.alloc(100 * 1024, 'm');
    const rig = await startCacheRig('{ enabled: true, capacityMB: 0.25 }', {
      extra: 'observability: { metrics: { processMetrics: false } }',
      routes: [
        '      - route: GET /items/{id}',
        '        integration: { type: http_proxy, uri: "UPSTREAM/items/{id}" }',
      ].join('\n'),
      handler: (_req, res) => {
        res.writeHead(200, { 'content-length': body.length });
        res.end(body);
      },
    });
    try {
      await call(rig.gw.port, 'GET', '/prod/items/1');
      await call(rig.gw.port, 'GET', '/prod/items/1');
      await call(rig.gw.port, 'GET', '/prod/items/1');
      for (const id of [2, 3, 4]) await call(rig.gw.port, 'GET', `/prod/items/${id}`); // 400 KiB through 256 KiB
      const s = parseMetrics((await scrape(rig.gw.gw)).text);
      const at = { api: 'shop', stage: 'prod', route: '/items/{id}' };
      assert.equal(value(s, 'portico_cache_events_total', { ...at, event: 'hit' }), 2);
      assert.equal(value(s, 'portico_cache_events_total', { ...at, event: 'miss' }), 4);
      assert.equal(value(s, 'portico_cache_events_total', { ...at, route: '', event: 'eviction' }), 2);
    } finally {
      await rig.close();
    }
  });
});

describe('stage cache: API types and integrations', () => {
  it('works on an HTTP API $default stage and on a named upstream', async () => {
    let n = 0;
    const up = await startUpstream((_req, res) => {
      const body = String(++n);
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    const gw = await startTestGateway(
      [
        'version: 1',
        'upstreams:',
        `  pool: { targets: [{ url: "${up.url}" }] }`,
        'apis:',
        '  - name: web',
        '    type: http',
        '    stages: { $default: { cache: { enabled: true } } }',
        '    routes:',
        '      - route: GET /named/{x}',
        '        integration: { type: http_proxy, upstream: pool }',
        '      - route: GET /uri',
        `        integration: { type: http_proxy, uri: "${up.url}/uri" }`,
        '',
      ].join('\n'),
      { clock: new ManualClock() },
    );
    try {
      for (const path of ['/named/a', '/uri']) {
        const miss = await call(gw.port, 'GET', path);
        const hit = await call(gw.port, 'GET', path);
        assert.deepEqual([miss.headers['x-cache'], hit.headers['x-cache'], hit.body], ['Miss', 'Hit', miss.body], path);
      }
      assert.equal(up.requests.length, 2);
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
