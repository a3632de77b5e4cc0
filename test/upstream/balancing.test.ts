import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countBy, faultServers, gatewayWith, load, send, upstreamYaml } from './upstream-helpers.js';

test('round-robin follows the weights exactly over real requests', async (t) => {
  const [a, b, c] = await faultServers(t, 3);
  const gw = await gatewayWith(
    t,
    upstreamYaml([
      `targets: [{ url: ${a!.url}, weight: 1 }, { url: ${b!.url}, weight: 2 }, { url: ${c!.url}, weight: 3 }]`,
    ]),
  );
  assert.deepEqual(countBy(await load(60, 4, () => send(gw.port, 'GET', '/x'))), { s1: 10, s2: 20, s3: 30 });
});

test('consistent hash on a header, a cookie and the path: the same key always reaches the same target', async (t) => {
  const servers = await faultServers(t, 3);
  const targets = `targets: [${servers.map((s) => `{ url: ${s.url} }`).join(', ')}]`;
  for (const [hashOn, req] of [
    ['{ source: header, name: x-user }', (k: string) => ({ path: '/x', headers: { 'x-user': k } })],
    ['{ source: cookie, name: sid }', (k: string) => ({ path: '/x', headers: { cookie: `a=1; sid=${k}` } })],
    ['{ source: path }', (k: string) => ({ path: `/users/${k}`, headers: {} })],
  ] as const) {
    const gw = await gatewayWith(t, upstreamYaml([targets, 'balancer: consistent-hash', `hashOn: ${hashOn}`]));
    const owner = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 30; k++) {
        const { path, headers } = req(`user-${k}`);
        const r = await send(gw.port, 'GET', path, undefined, headers);
        const prev = owner.get(`user-${k}`);
        if (prev) assert.equal(r.servedBy, prev, `${hashOn}: user-${k} moved`);
        owner.set(`user-${k}`, r.servedBy!);
      }
    }
    assert.equal(new Set(owner.values()).size, 3, `${hashOn}: keys spread over all targets`);
  }
});

test('least-requests and power-of-two send new requests away from a target with requests in flight', async (t) => {
  for (const balancer of ['least-requests', 'power-of-two']) {
    const [slow, fast] = await faultServers(t, 2);
    slow!.mode = 'hang';
    const gw = await gatewayWith(
      t,
      upstreamYaml([
        `targets: [{ url: ${slow!.url} }, { url: ${fast!.url} }]`,
        `balancer: ${balancer}`,
        'timeouts: { firstByteMs: 2000 }',
      ]),
    );
    // Park requests on the slow target.
    const parked = Array.from({ length: 4 }, () => send(gw.port, 'GET', '/park'));
    for (let i = 0; i < 50 && slow!.hits < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const before = slow!.hits;
    const r = await load(20, 1, () => send(gw.port, 'GET', '/x'));
    assert.ok(slow!.hits - before <= 2, `${balancer}: the busy target got ${slow!.hits - before} of 20`);
    assert.ok(r.filter((x) => x.servedBy === 's2').length >= 18);
    await slow!.close();
    await Promise.all(parked);
  }
});

test('per-route timeouts override the upstream’s', async (t) => {
  const [hang] = await faultServers(t, 1);
  hang!.mode = 'hang';
  const gw = await gatewayWith(
    t,
    upstreamYaml(
      [`targets: [{ url: ${hang!.url} }]`, 'timeouts: { firstByteMs: 60000 }', 'outlierDetection: { enabled: false }'],
      { integration: 'timeouts: { firstByteMs: 100 }' },
    ),
  );
  const r = await send(gw.port, 'GET', '/x');
  assert.equal(r.status, 504);
  assert.match(r.body, /Endpoint request timed out/);
});
