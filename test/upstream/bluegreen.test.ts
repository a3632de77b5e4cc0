import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ADMIN_TOKEN,
  admin,
  cli as runCli,
  countBy,
  faultServers,
  gatewayWith,
  runtimeOf,
  send,
  type Result,
  upstreamYaml,
  waitFor,
} from './upstream-helpers.js';

test('blue/green: weights shift 100/0 → 90/10 → 0/100 under continuous load with zero failed requests, then blue is drained', async (t) => {
  const [blue, green] = await faultServers(t, 2);
  const yaml = (wb: number, wg: number) =>
    upstreamYaml([`targets:`, `  - { url: ${blue!.url}, weight: ${wb} }`, `  - { url: ${green!.url}, weight: ${wg} }`]);
  const gw = await gatewayWith(t, yaml(100, 0));
  const results: Result[] = [];
  let running = true;
  const workers = Array.from({ length: 6 }, async (_, w) => {
    for (let i = 0; running; i++)
      results.push(
        await send(gw.port, i % 3 === 0 ? 'POST' : 'GET', `/orders/${w}-${i}`, i % 3 === 0 ? '{}' : undefined),
      );
  });
  const servedSince = (from: number) => countBy(results.slice(from));
  try {
    await waitFor('traffic', () => results.length >= 50);
    assert.deepEqual(Object.keys(servedSince(0)), ['s1']);

    // Canary: 90/10 through the admin API.
    let r = await admin(gw, 'PATCH', '/upstreams/svc/targets', {
      targets: [
        { url: blue!.url, weight: 90 },
        { url: green!.url, weight: 10 },
      ],
    });
    assert.equal(r.status, 200);
    let mark = results.length;
    await waitFor('green gets its share', () => (servedSince(mark).s2 ?? 0) >= 10, 10000);

    // Cut over: 0/100 through the CLI.
    const cli = await runCli([
      'upstreams',
      'weight',
      'svc',
      `${blue!.url}=0`,
      `${green!.url}=100`,
      '--admin',
      gw.gw.adminUrl,
      '--token',
      ADMIN_TOKEN,
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /UPSTREAM\s+TARGET/);
    mark = results.length;
    await waitFor('all on green', () => results.length - mark >= 60);
    const late = results.slice(mark + 12); // requests in flight during the switch may still finish on blue
    assert.deepEqual(Object.keys(countBy(late)), ['s2']);

    // Drain blue: no new requests, in-flight ones finish; status shows it.
    r = await admin(gw, 'PATCH', '/upstreams/svc/targets', { targets: [{ url: blue!.url, drained: true }] });
    assert.equal(r.status, 200);
    const blueRow = (r.body.targets as { url: string; drained: boolean }[]).find((x) => x.url === blue!.url)!;
    assert.equal(blueRow.drained, true);
    await waitFor('blue idle', () => runtimeOf(gw).endpoints.find((e) => e.targetUrl === blue!.url)!.inflight === 0);
    const blueHits = blue!.hits;
    mark = results.length;
    await waitFor('more traffic', () => results.length - mark >= 30);
    assert.equal(blue!.hits, blueHits, 'a drained target gets no new requests');
  } finally {
    running = false;
    await Promise.all(workers);
  }
  const failed = results.filter((x) => x.status !== 200);
  t.diagnostic(`blue/green: ${results.length} requests, ${failed.length} failed; ${JSON.stringify(countBy(results))}`);
  assert.equal(failed.length, 0, JSON.stringify(failed.slice(0, 3)));

  // A reload that changes a target's configured weight takes over from the runtime override.
  await gw.write(yaml(1, 1));
  assert.equal((await gw.gw.reload('test')).ok, true);
  const st = (await admin(gw, 'GET', '/upstreams/svc')).body.targets as {
    url: string;
    weight: number;
    drained: boolean;
  }[];
  assert.deepEqual(
    st.map((x) => [x.weight, x.drained]),
    [
      [1, true],
      [1, false],
    ],
    'weights from the file; the drain stays until undone',
  );
  const undrain = await runCli([
    'upstreams',
    'undrain',
    'svc',
    blue!.url,
    '--admin',
    gw.gw.adminUrl,
    '--token',
    ADMIN_TOKEN,
    '--json',
  ]);
  assert.equal(undrain.code, 0, undrain.stderr);
  const both = [];
  for (let i = 0; i < 10; i++) both.push(await send(gw.port, 'GET', '/x'));
  assert.deepEqual(countBy(both), { s1: 5, s2: 5 });
});

test('slow start: a target that comes back ramps up from 10% of its weight', async (t) => {
  const { ManualClock } = await import('../../src/clock.js');
  const clock = new ManualClock();
  const [a, b] = await faultServers(t, 2);
  const gw = await gatewayWith(
    t,
    upstreamYaml([`targets: [{ url: ${a!.url} }, { url: ${b!.url} }]`, 'slowStartMs: 10000']),
    clock,
  );
  clock.advance(20000);
  await admin(gw, 'PATCH', '/upstreams/svc/targets', { targets: [{ url: b!.url, weight: 0 }] });
  await admin(gw, 'PATCH', '/upstreams/svc/targets', { targets: [{ url: b!.url, weight: 1 }] });
  const weightOf = async () =>
    ((await admin(gw, 'GET', '/upstreams/svc')).body.targets as { effectiveWeight: number }[])[1]!.effectiveWeight;
  assert.equal(await weightOf(), 0.1);
  const early = [];
  for (let i = 0; i < 22; i++) early.push(await send(gw.port, 'GET', '/x'));
  assert.deepEqual(countBy(early), { s1: 20, s2: 2 });
  clock.advance(5000);
  assert.equal(await weightOf(), 0.5);
  clock.advance(5000);
  assert.equal(await weightOf(), 1);
});

test('admin API and CLI errors name the problem', async (t) => {
  const [a] = await faultServers(t, 1);
  const gw = await gatewayWith(t, upstreamYaml([`targets: [{ url: ${a!.url} }]`]));
  let r = await admin(gw, 'GET', '/upstreams/nope');
  assert.equal(r.status, 404);
  assert.match(String(r.body.message), /no upstream "nope"; upstreams: svc/);
  r = await admin(gw, 'PATCH', '/upstreams/svc/targets', { targets: [{ url: 'http://10.9.9.9', weight: 1 }] });
  assert.equal(r.status, 404);
  assert.match(String(r.body.message), /has no target http:\/\/10\.9\.9\.9/);
  r = await admin(gw, 'PATCH', '/upstreams/svc/targets', { targets: [{ url: a!.url, weight: 5000 }] });
  assert.equal(r.status, 400);
  assert.match(String(r.body.message), /integer from 0 to 1000/);
  const bad = await runCli([
    'upstreams',
    'weight',
    'svc',
    `${a!.url}=abc`,
    '--admin',
    gw.gw.adminUrl,
    '--token',
    ADMIN_TOKEN,
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /expected URL=WEIGHT/);
  const list = await runCli(['upstreams', '--admin', gw.gw.adminUrl, '--token', ADMIN_TOKEN, '--json']);
  assert.equal(list.code, 0, list.stderr);
  const parsed = JSON.parse(list.stdout) as { name: string; targets: { url: string; health: string }[] }[];
  assert.equal(parsed[0]!.name, 'svc');
  assert.equal(parsed[0]!.targets[0]!.health, 'unchecked');
});
