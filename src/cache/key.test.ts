import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { RequestContext } from '../pipeline/context.js';
import { cacheKey, compileKeySpec, hasOverrideHeader, rawHeaderValues, variantKey } from './key.js';

function ctx(opts: {
  path?: string;
  query?: string;
  headers?: [string, string][];
  apiKeyId?: string;
  trusted?: boolean;
}): RequestContext {
  const raw = (opts.headers ?? [['Host', 'gw.test']]).flat();
  const headers: Record<string, string> = {};
  for (const [k, v] of opts.headers ?? [['Host', 'gw.test']]) headers[k.toLowerCase()] = v;
  return {
    req: { rawHeaders: raw, headers } as unknown as IncomingMessage,
    restPath: opts.path ?? '/pets/1',
    rawQuery: opts.query ?? '',
    peerIp: '10.0.0.1',
    identity: opts.apiKeyId ? { apiKeyId: opts.apiKeyId } : {},
    snapshot: { trustedProxies: { isTrusted: () => opts.trusted ?? false } },
  } as unknown as RequestContext;
}

const spec = compileKeySpec(
  'GET /pets/{id}',
  ['method.request.querystring.color', 'method.request.header.X-Tenant', 'method.request.path.id'],
  false,
);
const key = (o: Parameters<typeof ctx>[0]) => cacheKey(spec, ctx(o), 'GET');

describe('cache key', () => {
  it('starts with method and stage-relative path, then the route and the Host', () => {
    assert.equal(key({}), 'GET /pets/1\nGET /pets/{id}\nh:gw.test\nr:x-tenant=\u0001');
    assert.equal(
      cacheKey(compileKeySpec('GET /pets/{id}', [], false), ctx({}), 'GET'),
      'GET /pets/1\nGET /pets/{id}\nh:gw.test',
    );
    assert.equal(compileKeySpec('HEAD /x', [], false).route, 'GET /x', 'HEAD routes read GET entries');
  });

  const same: [string, Parameters<typeof ctx>[0], Parameters<typeof ctx>[0]][] = [
    ['unlisted query parameters are ignored', { query: 'color=red&size=1' }, { query: 'size=2&color=red' }],
    ['listed names are recognised decoded and case-folded', { query: 'color=red' }, { query: 'color=red&utm=1' }],
    ['order between different listed names does not matter', { query: 'color=red' }, { query: 'color=red' }],
    [
      'unlisted headers are ignored',
      {
        headers: [
          ['Host', 'gw.test'],
          ['X-Other', '1'],
        ],
      },
      { headers: [['Host', 'gw.test']] },
    ],
    [
      'header names are case-insensitive',
      {
        headers: [
          ['Host', 'gw.test'],
          ['x-tenant', 'a'],
        ],
      },
      {
        headers: [
          ['host', 'gw.test'],
          ['X-TENANT', 'a'],
        ],
      },
    ],
    ['Host is compared case-insensitively', { headers: [['Host', 'GW.test']] }, { headers: [['Host', 'gw.test']] }],
  ];
  for (const [name, a, b] of same) it(`same key: ${name}`, () => assert.equal(key(a), key(b)));

  const different: [string, Parameters<typeof ctx>[0], Parameters<typeof ctx>[0]][] = [
    ['path parameter', { path: '/pets/1' }, { path: '/pets/2' }],
    ['path encoding', { path: '/pets/%31' }, { path: '/pets/1' }],
    ['trailing slash', { path: '/pets/1/' }, { path: '/pets/1' }],
    ['listed query value', { query: 'color=red' }, { query: 'color=blue' }],
    ['a repeat of a listed parameter', { query: 'color=red&color=blue' }, { query: 'color=red' }],
    ['order among repeats', { query: 'color=red&color=blue' }, { query: 'color=blue&color=red' }],
    ['an encoded listed name', { query: 'color=red&c%6flor=blue' }, { query: 'color=red' }],
    ['an upper-case listed name', { query: 'color=red&COLOR=blue' }, { query: 'color=red' }],
    ['";" separated', { query: 'x=1;color=blue' }, { query: 'x=1' }],
    ['value spelling', { query: 'color=r%65d' }, { query: 'color=red' }],
    [
      'listed header value',
      {
        headers: [
          ['Host', 'gw.test'],
          ['X-Tenant', 'a'],
        ],
      },
      {
        headers: [
          ['Host', 'gw.test'],
          ['X-Tenant', 'b'],
        ],
      },
    ],
    [
      'a listed header absent vs empty',
      {
        headers: [
          ['Host', 'gw.test'],
          ['X-Tenant', ''],
        ],
      },
      { headers: [['Host', 'gw.test']] },
    ],
    [
      'a repeated listed header (Node would keep only the first of some)',
      {
        headers: [
          ['Host', 'gw.test'],
          ['X-Tenant', 'a'],
          ['X-Tenant', 'b'],
        ],
      },
      {
        headers: [
          ['Host', 'gw.test'],
          ['X-Tenant', 'a'],
        ],
      },
    ],
    ['Host', { headers: [['Host', 'evil.test']] }, { headers: [['Host', 'gw.test']] }],
    ['Host port', { headers: [['Host', 'gw.test:8080']] }, { headers: [['Host', 'gw.test']] }],
    [
      'X-Forwarded-Host from a trusted proxy',
      {
        trusted: true,
        headers: [
          ['Host', 'gw.test'],
          ['X-Forwarded-Host', 'a.test'],
        ],
      },
      {
        trusted: true,
        headers: [
          ['Host', 'gw.test'],
          ['X-Forwarded-Host', 'b.test'],
        ],
      },
    ],
  ];
  for (const [name, a, b] of different) it(`different key: ${name}`, () => assert.notEqual(key(a), key(b)));

  it('perKey adds the API key id', () => {
    const s = compileKeySpec('GET /x', [], true);
    assert.notEqual(cacheKey(s, ctx({ apiKeyId: 'k1' }), 'GET'), cacheKey(s, ctx({ apiKeyId: 'k2' }), 'GET'));
    assert.notEqual(cacheKey(s, ctx({ apiKeyId: 'k1' }), 'GET'), cacheKey(s, ctx({}), 'GET'));
  });

  it('override headers are detected unless listed', () => {
    assert.equal(hasOverrideHeader(spec, { 'x-original-url': '/a' }), true);
    assert.equal(hasOverrideHeader(spec, { 'x-forwarded-prefix': '/a' }), true);
    assert.equal(hasOverrideHeader(spec, { accept: '*/*' }), false);
    const listed = compileKeySpec('GET /x', ['method.request.header.X-Original-URL'], false);
    assert.equal(hasOverrideHeader(listed, { 'x-original-url': '/a' }), false);
  });

  it('variant keys add the Vary headers’ values', () => {
    assert.equal(variantKey('k', ['accept-language'], ['Accept-Language', 'en']), 'k\nv:accept-language=en');
    assert.notEqual(variantKey('k', ['accept'], []), variantKey('k', ['accept'], ['Accept', '']));
    assert.equal(rawHeaderValues(['A', '1', 'b', '2', 'a', '3'], 'a'), '1\u00003');
  });
});
