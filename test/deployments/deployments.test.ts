import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { applyCommand, diffCommand, rollbackCommand } from '../../src/deployments/cli.js';
import { captureIo, Node, route, seeded, shop } from './helpers.js';

describe('deployments', () => {
  test('apply serves the new config; diff shows added, removed and changed routes; GET /config is redacted', async (t) => {
    const n = await Node.start(shop(1, route('GET /old', '{"old":true}')));
    t.after(() => n.remove());
    const list0 = await n.admin('GET', '/deployments');
    assert.equal(list0.body.deploymentId, 1);
    assert.deepEqual(
      list0.body.deployments.map((d: { id: number; source: string }) => [d.id, d.source]),
      [[1, 'start']],
    );

    const next = join(n.dir, 'next.yaml');
    await writeFile(next, shop(2, route('GET /new', '{"new":true}')));
    const io = captureIo();
    assert.equal(await diffCommand(['-c', next, ...n.flags], io), 0, io.errors.join('\n'));
    const text = io.lines.join('\n');
    assert.match(text, /^deleting route shop GET \/old$/m);
    assert.match(text, /^creating route shop GET \/new$/m);
    assert.match(text, /^updating route shop GET \/v\n {2}integration\.body: "\{\\"v\\":1\}" → "\{\\"v\\":2\}"$/m);
    assert.match(text, /Summary: created 1, updated 1, deleted 1/);
    const json = captureIo();
    assert.equal(await diffCommand(['-c', next, '--json', ...n.flags], json), 0);
    const diff = JSON.parse(json.lines.join('\n'));
    assert.deepEqual(diff.summary, { create: 1, update: 1, delete: 1 });
    // A diff changes nothing.
    assert.equal(await n.get('/v'), '{"v":1}');
    assert.equal((await n.admin('GET', '/deployments')).body.deployments.length, 1);

    const dry = captureIo();
    assert.equal(await applyCommand(['-c', next, '--dry-run', ...n.flags], dry), 0);
    assert.match(dry.lines.join('\n'), /dry run: nothing deployed/);
    assert.equal(await n.get('/v'), '{"v":1}');

    const apply = captureIo();
    assert.equal(await applyCommand(['-c', next, '-m', 'v2 with /new', ...n.flags], apply), 0, apply.errors.join());
    assert.match(apply.lines.join('\n'), /deployment 2 serves every stage/);
    assert.equal(await n.get('/v'), '{"v":2}');
    assert.equal(await n.get('/v', 'beta'), '{"v":2}');
    assert.equal(await n.get('/new'), '{"new":true}');
    assert.equal((await n.get('/old')).includes('old'), false);

    const list = (await n.admin('GET', '/deployments')).body;
    assert.equal(list.deploymentId, 2);
    assert.deepEqual(list.deployments[0], {
      ...list.deployments[0],
      id: 2,
      source: 'api',
      description: 'v2 with /new',
    });
    assert.deepEqual(
      list.stages.map((s: { stage: string; deploymentId: number }) => [s.stage, s.deploymentId]),
      [
        ['prod', 2],
        ['beta', 2],
      ],
    );
    const config = await n.admin('GET', '/config');
    assert.equal(config.body.deploymentId, 2);
    assert.equal(config.body.config.admin.token, '[redacted]');
    assert.equal(JSON.stringify(config.body).includes('admin-token-literal'), false);
    const one = await n.admin('GET', '/deployments/1');
    assert.equal(one.body.config.admin.token, '[redacted]');
    assert.equal((await n.admin('GET', '/deployments/9')).status, 404);
  });

  test('rollback serves the old config: to a given id, and to the previous one', async (t) => {
    const n = await Node.start(shop(1));
    t.after(() => n.remove());
    for (const v of [2, 3]) {
      const r = await n.admin('POST', '/deployments', { config: shop(v), description: `v${v}` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal(await n.get('/v'), '{"v":3}');
    const io = captureIo();
    assert.equal(await rollbackCommand(n.flags, io), 0, io.errors.join());
    assert.match(io.lines.join(), /deployment 2 serves every stage \(v2\)/);
    assert.equal(await n.get('/v'), '{"v":2}');
    assert.equal(await rollbackCommand(['1', ...n.flags], captureIo()), 0);
    assert.equal(await n.get('/v'), '{"v":1}');
    const r = await n.admin('POST', '/deployments/3/rollback');
    assert.equal(r.status, 200);
    assert.equal(await n.get('/v'), '{"v":3}');
    // A rollback points the stages at a recorded deployment: nothing new is recorded.
    assert.equal((await n.admin('GET', '/deployments')).body.deployments.length, 3);
    assert.equal((await n.admin('POST', '/deployments/7/rollback')).status, 404);
  });

  test('an invalid config is refused with located errors and nothing changes', async (t) => {
    const n = await Node.start(shop(1));
    t.after(() => n.remove());
    const bad = shop(2).replace('GET /v', 'GET v').replace('type: rest', 'type: rest\n    colour: blue');
    const r = await n.admin('POST', '/deployments', { config: bad, file: '/elsewhere/bad.yaml' });
    assert.equal(r.status, 400);
    assert.equal(r.body.ok, false);
    const where = r.body.issues.map((i: { path: string[]; line: number }) => `${i.path.join('.')}@${i.line}`);
    assert.deepEqual(where.sort(), ['apis.0.colour@6', 'apis.0.routes.0.route@11']);
    assert.match(r.body.error, /bad\.yaml:6:\d+ apis\[0\]\.colour: unknown key "colour"/);
    // The CLI prints the same located errors and exits 1.
    const file = join(n.dir, 'bad.yaml');
    await writeFile(file, bad);
    const io = captureIo();
    assert.equal(await applyCommand(['-c', file, ...n.flags], io), 1);
    assert.match(io.errors.join('\n'), /bad\.yaml:11:\d+ apis\[0\]\.routes\[0\]\.route/);
    assert.equal(await n.get('/v'), '{"v":1}');
    const list = (await n.admin('GET', '/deployments')).body;
    assert.equal(list.deploymentId, 1);
    assert.equal(list.deployments.length, 1);
  });

  test('a reload of the config file records a deployment', async (t) => {
    const n = await Node.start(shop(1));
    t.after(() => n.remove());
    await writeFile(n.file, shop(2));
    const r = await n.gw.reload('test');
    assert.equal(r.changed, true, r.error);
    assert.equal(await n.get('/v'), '{"v":2}');
    const list = (await n.admin('GET', '/deployments')).body;
    assert.equal(list.deploymentId, 2);
    assert.equal(list.deployments[0].source, 'file');
  });

  test('the history survives a restart (the SQLite file); the same file keeps the applied deployment', async (t) => {
    const n = await Node.start(shop(1));
    t.after(() => n.remove());
    assert.equal((await n.admin('POST', '/deployments', { config: shop(2), description: 'by api' })).status, 201);
    await n.stop();
    await n.restart();
    // The file did not change since it made deployment 1: the stages keep deployment 2.
    assert.equal(await n.get('/v'), '{"v":2}');
    let list = (await n.admin('GET', '/deployments')).body;
    assert.deepEqual(
      list.deployments.map((d: { id: number; description: string }) => [d.id, d.description]),
      [
        [2, 'by api'],
        [1, `started from ${n.file}`],
      ],
    );
    assert.equal(list.deploymentId, 2);
    // An edited file is a deployment of its own at the next start.
    await n.stop();
    await writeFile(n.file, shop(3));
    await n.restart();
    assert.equal(await n.get('/v'), '{"v":3}');
    list = (await n.admin('GET', '/deployments')).body;
    assert.equal(list.deploymentId, 3);
    assert.equal((await n.admin('POST', '/deployments/2/rollback')).status, 200);
    assert.equal(await n.get('/v'), '{"v":2}');
  });

  test('a canary at 25 % with a seeded RNG serves the expected split; promote and roll back', async (t) => {
    const SEED = 21;
    const N = 400;
    const n = await Node.start(shop(1), { random: seeded(SEED) });
    t.after(() => n.remove());
    const r = await n.admin('POST', '/deployments', {
      config: shop(2),
      canary: { stage: 'shop/prod', percentTraffic: 25 },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const canaryId = r.body.deployment.id as number;
    const stages = (await n.admin('GET', '/deployments')).body.stages;
    assert.deepEqual(stages[0], {
      api: 'shop',
      stage: 'prod',
      deploymentId: 1,
      canarySettings: { deploymentId: canaryId, percentTraffic: 25 },
    });
    assert.deepEqual(stages[1], { api: 'shop', stage: 'beta', deploymentId: 1 });

    // The same sequence the gateway draws from: one number per request to the canary's stage.
    const rng = seeded(SEED);
    let expected = 0;
    for (let i = 0; i < N; i++) if (rng() * 100 < 25) expected++;
    let canary = 0;
    for (let i = 0; i < N; i++) {
      const body = await n.get('/v');
      if (body === '{"v":2}') canary++;
      else assert.equal(body, '{"v":1}');
      // Another stage draws nothing and never sees the canary.
      if (i % 50 === 0) assert.equal(await n.get('/v', 'beta'), '{"v":1}');
    }
    assert.equal(canary, expected);
    assert.ok(canary > N * 0.2 && canary < N * 0.3, `${canary} of ${N}`);

    // Roll the canary back: the stage's own deployment serves everything.
    assert.equal((await n.admin('DELETE', '/stages/shop/prod/canary')).status, 200);
    for (let i = 0; i < 20; i++) assert.equal(await n.get('/v'), '{"v":1}');
    assert.equal((await n.admin('DELETE', '/stages/shop/prod/canary')).status, 404);

    // Set it again on the recorded deployment, at 100 %, then promote: every stage serves it.
    const set = await n.admin('PUT', '/stages/shop/prod/canary', { deploymentId: canaryId, percentTraffic: 100 });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(await n.get('/v'), '{"v":2}');
    assert.equal(await n.get('/v', 'beta'), '{"v":1}');
    const promoted = await n.admin('POST', '/stages/shop/prod/canary/promote');
    assert.equal(promoted.status, 200);
    assert.deepEqual(promoted.body.state.canaries, {});
    assert.equal(promoted.body.state.deploymentId, canaryId);
    for (let i = 0; i < 20; i++) assert.equal(await n.get('/v'), '{"v":2}');
    assert.equal(await n.get('/v', 'beta'), '{"v":2}');

    const bad = await n.admin('PUT', '/stages/shop/nope/canary', { deploymentId: 1, percentTraffic: 10 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /no stage "shop\/nope"/);
    const pct = await n.admin('PUT', '/stages/shop/prod/canary', { deploymentId: 1, percentTraffic: 101 });
    assert.equal(pct.status, 400);
  });
});
