import assert from 'node:assert/strict';
import { request, type ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { CacheService, StageCacheStats } from '../../src/cache/service.js';
import { call } from '../helpers/http-call.js';
import { type CacheRig, startCacheRig } from './cache-helpers.js';

function stats(rig: CacheRig): StageCacheStats | undefined {
  return (rig.gw.gw.runtime.services.get('cache') as CacheService).stats()[0];
}

/** Waits (bounded: 1000 checks, 10 ms apart) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`gave up waiting for ${what}`);
}

/** An upstream whose answers wait until released. */
function held() {
  const parked: { res: ServerResponse; n: number; url: string; lang: string }[] = [];
  const h = {
    parked,
    /** Once set, every new request's connection is reset at once (the integration's own retries included). */
    failing: false,
    handler: (
      req: { url?: string | undefined; headers: Record<string, string | string[] | undefined> },
      res: ServerResponse,
      n: number,
    ) => {
      if (h.failing) return void res.socket?.destroy();
      parked.push({ res, n, url: req.url ?? '', lang: String(req.headers['accept-language'] ?? '') });
    },
  };
  return h;
}

describe('cache coalescing', () => {
  it('100 concurrent misses for one key make exactly 1 upstream request', async () => {
    const h = held();
    const rig = await startCacheRig('{ enabled: true }', { handler: h.handler });
    try {
      const replies = Array.from({ length: 100 }, () => call(rig.gw.port, 'GET', '/prod/hot'));
      await until(() => h.parked.length === 1 && stats(rig)?.coalesced === 99, '99 waiters');
      const body = JSON.stringify({ hot: true });
      h.parked[0]?.res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
      const all = await Promise.all(replies);
      assert.equal(rig.up.requests.length, 1);
      assert.ok(all.every((r) => r.status === 200 && r.body === body));
      assert.equal(all.filter((r) => r.headers['x-cache'] === 'Miss').length, 1);
      assert.equal(all.filter((r) => r.headers['x-cache'] === 'Hit').length, 99);
      assert.equal((await call(rig.gw.port, 'GET', '/prod/hot')).headers['x-cache'], 'Hit');
      assert.equal(rig.up.requests.length, 1);
    } finally {
      await rig.close();
    }
  });

  it('a failed fetch fails every waiter with the same gateway response, after one upstream request', async () => {
    const h = held();
    const rig = await startCacheRig('{ enabled: true }', { handler: h.handler });
    try {
      const replies = Array.from({ length: 100 }, () => call(rig.gw.port, 'GET', '/prod/down'));
      await until(() => h.parked.length === 1 && stats(rig)?.coalesced === 99, '99 waiters');
      h.failing = true;
      h.parked[0]?.res.socket?.destroy();
      const all = await Promise.all(replies);
      // One fetch: its first try plus the integration's own retries on a reset (2 by default), never one per waiter.
      assert.ok(rig.up.requests.length <= 3, `${rig.up.requests.length} upstream requests`);
      assert.ok(
        all.every((r) => r.status === 500 && JSON.parse(r.body).message === 'Internal server error'),
        JSON.stringify(all[0]),
      );
    } finally {
      await rig.close();
    }
  });

  it('a 5xx from the backend is shared with the waiters too (not stored)', async () => {
    const h = held();
    const rig = await startCacheRig('{ enabled: true }', { handler: h.handler });
    try {
      const replies = Array.from({ length: 10 }, () => call(rig.gw.port, 'GET', '/prod/busy'));
      await until(() => h.parked.length === 1 && stats(rig)?.coalesced === 9, '9 waiters');
      h.parked[0]?.res.writeHead(503, { 'content-length': 4 }).end('busy');
      const all = await Promise.all(replies);
      assert.ok(all.every((r) => r.status === 503 && r.body === 'busy'));
      assert.equal(rig.up.requests.length, 1);
      const next = call(rig.gw.port, 'GET', '/prod/busy');
      await until(() => h.parked.length === 2, 'a new fetch');
      h.parked[1]?.res.writeHead(200, { 'content-length': 2 }).end('ok');
      assert.equal((await next).headers['x-cache'], 'Miss');
    } finally {
      await rig.close();
    }
  });

  it('waiters whose Vary headers differ from the first request fetch for themselves', async () => {
    const h = held();
    const rig = await startCacheRig('{ enabled: true }', { handler: h.handler });
    const answer = (i: number) => {
      const p = h.parked[i];
      assert.ok(p);
      p.res.writeHead(200, { vary: 'accept-language', 'content-length': Buffer.byteLength(p.lang) }).end(p.lang);
    };
    try {
      const en = call(rig.gw.port, 'GET', '/prod/v', { 'accept-language': 'en' });
      await until(() => h.parked.length === 1, 'the first fetch');
      const others = [
        call(rig.gw.port, 'GET', '/prod/v', { 'accept-language': 'fr' }),
        call(rig.gw.port, 'GET', '/prod/v', { 'accept-language': 'en' }),
      ];
      await until(() => stats(rig)?.coalesced === 2, '2 waiters');
      answer(0);
      assert.equal((await en).body, 'en');
      await until(() => h.parked.length === 2, 'the fr fetch');
      answer(1);
      const [fr, en2] = await Promise.all(others);
      assert.deepEqual([fr?.body, fr?.headers['x-cache']], ['fr', 'Miss']);
      assert.deepEqual([en2?.body, en2?.headers['x-cache']], ['en', 'Hit']);
    } finally {
      await rig.close();
    }
  });

  it('when the first client goes away mid-fetch, the waiters fetch for themselves instead of failing', async () => {
    const h = held();
    const rig = await startCacheRig('{ enabled: true }', { handler: h.handler });
    try {
      const leader = request({ host: '127.0.0.1', port: rig.gw.port, path: '/prod/gone', agent: false });
      leader.on('error', () => {});
      leader.end();
      await until(() => h.parked.length === 1, 'the first fetch');
      const replies = Array.from({ length: 3 }, () => call(rig.gw.port, 'GET', '/prod/gone'));
      await until(() => stats(rig)?.coalesced === 3, '3 waiters');
      leader.destroy();
      // Released together, with nothing stored to find, each waiter fetches for itself.
      await until(() => h.parked.length === 4, 'the waiters fetching for themselves');
      for (const p of h.parked.slice(1)) p.res.writeHead(200, { 'content-length': 2 }).end('ok');
      const all = await Promise.all(replies);
      assert.ok(
        all.every((r) => r.status === 200 && r.body === 'ok'),
        JSON.stringify(all.map((r) => r.status)),
      );
    } finally {
      await rig.close();
    }
  });

  it('a response with Set-Cookie is never handed to waiters: each fetches its own', async () => {
    const h = held();
    const rig = await startCacheRig('{ enabled: true }', { handler: h.handler });
    try {
      const replies = Array.from({ length: 5 }, () => call(rig.gw.port, 'GET', '/prod/me'));
      await until(() => h.parked.length === 1 && stats(rig)?.coalesced === 4, '4 waiters');
      const answer = (p: (typeof h.parked)[number]) =>
        p.res.writeHead(200, { 'set-cookie': `sid=${p.n}`, 'content-length': String(p.n).length }).end(String(p.n));
      answer(h.parked[0]!);
      await until(() => h.parked.length === 5, 'four more fetches');
      for (const p of h.parked.slice(1)) answer(p);
      const all = await Promise.all(replies);
      assert.deepEqual(all.map((r) => r.headers['set-cookie']?.[0]).sort(), [
        'sid=1',
        'sid=2',
        'sid=3',
        'sid=4',
        'sid=5',
      ]);
      assert.ok(all.every((r) => r.headers['set-cookie']?.[0] === `sid=${r.body}`));
    } finally {
      await rig.close();
    }
  });
});

describe('stale serving', () => {
  it('staleWhileRevalidateSeconds: an expired entry is served Stale while one background request refreshes it', async () => {
    const h = held();
    const rig = await startCacheRig('{ enabled: true, ttlSeconds: 10, staleWhileRevalidateSeconds: 30 }', {
      handler: h.handler,
    });
    const reply = (i: number) =>
      h.parked[i]?.res.writeHead(200, { 'content-length': String(i + 1).length }).end(String(i + 1));
    try {
      const first = call(rig.gw.port, 'GET', '/prod/s');
      await until(() => h.parked.length === 1, 'the first fetch');
      reply(0);
      assert.equal((await first).body, '1');
      rig.clock.advance(11_000);
      for (let i = 0; i < 5; i++) {
        const r = await call(rig.gw.port, 'GET', '/prod/s');
        assert.deepEqual([r.headers['x-cache'], r.body, r.headers.age], ['Stale', '1', '11']);
      }
      await until(() => h.parked.length === 2, 'the background fetch');
      assert.equal(rig.up.requests.length, 2, 'one refresh, however many stale answers');
      reply(1);
      // The refresh lands asynchronously: ask until it is served (bounded).
      let hit;
      for (let i = 0; i < 100 && hit?.headers['x-cache'] !== 'Hit'; i++)
        hit = await call(rig.gw.port, 'GET', '/prod/s');
      assert.deepEqual([hit?.headers['x-cache'], hit?.body], ['Hit', '2']);
      rig.clock.advance(10_000 + 30_000);
      const gone = call(rig.gw.port, 'GET', '/prod/s');
      await until(() => h.parked.length === 3, 'a plain miss after the stale window');
      reply(2);
      assert.deepEqual([(await gone).headers['x-cache'], (await gone).body], ['Miss', '3']);
    } finally {
      await rig.close();
    }
  });

  it('staleIfErrorSeconds: a 5xx or a failed connection is answered with the stale entry, for every waiter', async () => {
    let mode: 'ok' | '503' | 'hold' | 'reset' = 'ok';
    const parked: ServerResponse[] = [];
    const rig = await startCacheRig('{ enabled: true, ttlSeconds: 10, staleIfErrorSeconds: 60 }', {
      handler: (_req, res, n) => {
        if (mode === 'hold') return void parked.push(res);
        if (mode === 'reset') return void res.socket?.destroy();
        if (mode === '503') return void res.writeHead(503, { 'content-length': 4 }).end('busy');
        res.writeHead(200, { 'content-length': String(n).length }).end(String(n));
      },
    });
    try {
      await call(rig.gw.port, 'GET', '/prod/e');
      rig.clock.advance(11_000);
      mode = '503';
      const r = await call(rig.gw.port, 'GET', '/prod/e');
      assert.deepEqual([r.status, r.headers['x-cache'], r.body], [200, 'Stale', '1']);
      mode = 'hold';
      const replies = Array.from({ length: 20 }, () => call(rig.gw.port, 'GET', '/prod/e'));
      await until(() => parked.length === 1 && stats(rig)?.coalesced === 19, '19 waiters');
      mode = 'reset';
      parked[0]?.socket?.destroy();
      const all = await Promise.all(replies);
      assert.ok(all.every((x) => x.status === 200 && x.headers['x-cache'] === 'Stale' && x.body === '1'));
      assert.ok(
        rig.up.requests.length <= 5,
        `${rig.up.requests.length} upstream requests: one fetch (and its retries), not one per waiter`,
      );
      const before = rig.up.requests.length;
      rig.clock.advance(60_000);
      mode = '503';
      const late = await call(rig.gw.port, 'GET', '/prod/e');
      assert.deepEqual([late.status, late.headers['x-cache']], [503, 'Miss'], 'past the window the error goes through');
      assert.ok(rig.up.requests.length > before);
    } finally {
      await rig.close();
    }
  });
});
