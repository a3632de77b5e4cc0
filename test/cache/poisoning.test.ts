import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { CacheService } from '../../src/cache/service.js';
import { call } from '../helpers/http-call.js';
import { recordFigure } from '../reliability/results.js';
import { type CacheRig, startCacheRig } from './cache-helpers.js';

/**
 * A backend as careless as real ones: it builds links from X-Forwarded-Host, obeys X-Original-URL
 * and method overrides, reads the last `id` (names decoded and case-folded, ";" as a separator too),
 * and echoes the path as received. Whatever an attacker's request makes it say contains "evil".
 */
function careless(req: IncomingMessage): string {
  const h = req.headers;
  const url = String(h['x-original-url'] ?? h['x-rewrite-url'] ?? req.url);
  const [path = '', query = ''] = url.split('?');
  let id = '';
  for (const piece of query.split(/[&;]/)) {
    const [k = '', v = ''] = piece.split('=');
    let name = k;
    try {
      name = decodeURIComponent(k);
    } catch {
      // keep it raw
    }
    if (name.toLowerCase() === 'id') id = v;
  }
  const method = String(h['x-http-method-override'] ?? req.method);
  return JSON.stringify({
    link: `http://${String(h['x-forwarded-host'] ?? h.host)}${h['x-forwarded-prefix'] ?? ''}/next`,
    scheme: String(h['x-forwarded-scheme'] ?? 'http'),
    path: decodeURIComponent(path),
    id,
    method,
  });
}

interface Case {
  name: string;
  attacker: { path: string; headers?: Record<string, string> };
  victim: { path: string; headers?: Record<string, string> };
}

// Each attacker request is sent first; then the victim's normal request must not get the attacker's answer.
const CASES: Case[] = [
  {
    name: 'Host header',
    attacker: { path: '/prod/p?id=1', headers: { host: 'evil.example' } },
    victim: { path: '/prod/p?id=1' },
  },
  {
    name: 'Host with a port',
    attacker: { path: '/prod/p?id=1', headers: { host: 'gw.test:8080' } },
    victim: { path: '/prod/p?id=1', headers: { host: 'gw.test' } },
  },
  {
    name: 'X-Forwarded-Host',
    attacker: { path: '/prod/p?id=1', headers: { 'x-forwarded-host': 'evil.example' } },
    victim: { path: '/prod/p?id=1' },
  },
  {
    name: 'X-Original-URL',
    attacker: { path: '/prod/p?id=1', headers: { 'x-original-url': '/evil' } },
    victim: { path: '/prod/p?id=1' },
  },
  {
    name: 'X-Rewrite-URL',
    attacker: { path: '/prod/p?id=1', headers: { 'x-rewrite-url': '/evil' } },
    victim: { path: '/prod/p?id=1' },
  },
  {
    name: 'X-HTTP-Method-Override',
    attacker: { path: '/prod/p?id=1', headers: { 'x-http-method-override': 'evil' } },
    victim: { path: '/prod/p?id=1' },
  },
  {
    name: 'X-Forwarded-Prefix',
    attacker: { path: '/prod/p?id=1', headers: { 'x-forwarded-prefix': '/evil' } },
    victim: { path: '/prod/p?id=1' },
  },
  {
    name: 'X-Forwarded-Scheme',
    attacker: { path: '/prod/p?id=1', headers: { 'x-forwarded-scheme': 'evil' } },
    victim: { path: '/prod/p?id=1' },
  },
  { name: 'duplicate query parameter', attacker: { path: '/prod/p?id=1&id=evil' }, victim: { path: '/prod/p?id=1' } },
  { name: 'duplicate, reversed', attacker: { path: '/prod/p?id=evil&id=1' }, victim: { path: '/prod/p?id=1' } },
  { name: 'encoded parameter name', attacker: { path: '/prod/p?id=1&i%64=evil' }, victim: { path: '/prod/p?id=1' } },
  { name: 'upper-case parameter name', attacker: { path: '/prod/p?id=1&ID=evil' }, victim: { path: '/prod/p?id=1' } },
  {
    name: '";" as a separator (parameter cloaking)',
    attacker: { path: '/prod/p?id=1;id=evil' },
    victim: { path: '/prod/p?id=1' },
  },
  {
    name: 'unlisted parameter smuggling the listed one',
    attacker: { path: '/prod/p?x=1&id=evil' },
    victim: { path: '/prod/p?x=1' },
  },
  { name: 'path: percent-encoded letter', attacker: { path: '/prod/%65vil' }, victim: { path: '/prod/evil' } },
  { name: 'path: encoded slash', attacker: { path: '/prod/a%2Fevil' }, victim: { path: '/prod/a/evil' } },
  { name: 'path: trailing slash', attacker: { path: '/prod/evil/' }, victim: { path: '/prod/evil' } },
  { name: 'path: upper-case escape', attacker: { path: '/prod/a%2fevil' }, victim: { path: '/prod/a%2Fevil' } },
  { name: 'path: escaped dot segment', attacker: { path: '/prod/x/%2e%2e/evil' }, victim: { path: '/prod/evil' } },
  { name: 'path: double slash', attacker: { path: '/prod//evil' }, victim: { path: '/prod/evil' } },
];

describe('cache poisoning: unkeyed inputs never reach another client', () => {
  let rig: CacheRig;
  before(async () => {
    rig = await startCacheRig('{ enabled: true, cacheKeyParameters: [method.request.querystring.id] }', {
      handler: (req, res) => {
        const body = careless(req);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
    });
  });
  after(() => rig.close());

  it(`${CASES.length} attacks, 0 poisoned hits`, async () => {
    const svc = rig.gw.gw.runtime.services.get('cache') as CacheService;
    const poisoned: string[] = [];
    let hits = 0;
    let refused = 0;
    for (const [i, c] of CASES.entries()) {
      // A fresh key per case, so the victim's own clean answer is not cached before the attack.
      const fresh = (p: string) => p.replace('/prod/', `/prod/c${i}/`);
      const a = await call(rig.gw.port, 'GET', fresh(c.attacker.path), c.attacker.headers);
      if (a.status === 400) {
        // Refused before it could reach the cache (the gateway's own request checks): nothing to poison with.
        refused++;
        continue;
      }
      assert.equal(a.status, 200, c.name);
      // Twice: the second is a hit from whatever the cache holds under the victim's key.
      const seen = [];
      for (let k = 0; k < 2; k++) {
        const v = await call(rig.gw.port, 'GET', fresh(c.victim.path), c.victim.headers);
        if (v.headers['x-cache'] === 'Hit') hits++;
        seen.push(v.body);
      }
      // What the backend says to the victim's request itself: ask again with the cache emptied.
      await svc.flush('shop', 'prod');
      const clean = await call(rig.gw.port, 'GET', fresh(c.victim.path), c.victim.headers);
      assert.equal(clean.headers['x-cache'], 'Miss');
      for (const body of seen)
        if (body !== clean.body) poisoned.push(`${c.name}: got ${body}, backend says ${clean.body}`);
    }
    recordFigure({
      id: 'cache-poison',
      figure:
        'Cache-poison variants tried / poisoned hits (unkeyed headers, parameter cloaking and case, path encodings, against a careless backend)',
      value: `${CASES.length} / ${poisoned.length} (${refused} refused with 400 before the cache, ${hits} victim hits checked)`,
      target: '≥ 15 / 0',
      test: `test/cache/poisoning.test.ts › ${CASES.length} attacks, 0 poisoned hits`,
      details: { cases: CASES.map((c) => c.name), poisoned, refused, hits },
    });
    assert.deepEqual(poisoned, []);
    // Every victim's second request was a hit (the cache was in play); a first one may be too where sharing is
    // correct (an untrusted X-Forwarded-Host is replaced by the gateway, so attacker and victim look alike upstream).
    assert.ok(hits + refused >= CASES.length, `${hits} hits, ${refused} refused`);
  });

  it('the override headers make the request bypass the cache; the keyed ones still cache', async () => {
    const r = await call(rig.gw.port, 'GET', '/prod/b?id=1', { 'x-original-url': '/x' });
    assert.equal(r.headers['x-cache'], 'Bypass');
    await call(rig.gw.port, 'GET', '/prod/b?id=1&id=2');
    assert.equal((await call(rig.gw.port, 'GET', '/prod/b?id=1&id=2')).headers['x-cache'], 'Hit');
    assert.equal(
      (await call(rig.gw.port, 'GET', '/prod/b?id=2&id=1')).headers['x-cache'],
      'Miss',
      'order among repeats is kept',
    );
  });
});
