import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/cli/args.js';
import { diffCommand } from '../../src/deployments/cli.js';
import { captureIo, Node, route, shop } from './helpers.js';

// GET /deployments/{id}/diff: the diff between two recorded deployments, on a real admin listener and
// the embedded SQLite store file (<dir>/portico-data/portico.db).

const names = (diff: { changes: { action: string; kind: string; name: string }[] }) =>
  diff.changes.map((c) => `${c.action} ${c.kind} ${c.name}`);

describe('GET /deployments/{id}/diff', () => {
  test('against the serving deployment (the default), the previous one or an id; the same diff as portico diff', async (t) => {
    const v1 = shop(1, route('GET /old', '{"old":true}'));
    const n = await Node.start(v1);
    t.after(() => n.remove());
    const v2 = shop(2, route('GET /new', '{"new":true}'));
    const applied = await n.admin('POST', '/deployments', { config: v2, description: 'v2' });
    assert.equal(applied.status, 201, JSON.stringify(applied.body));

    // Deployment 1 against the serving one (2): what rolling back to 1 would change.
    const back = await n.admin('GET', '/deployments/1/diff');
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.deployment.id, 1);
    assert.equal(back.body.against.id, 2);
    assert.equal(back.body.against.description, 'v2');
    assert.equal(back.body.deployment.text, undefined, 'the config text is not in the answer');
    assert.deepEqual(names(back.body.diff), [
      'delete route shop GET /new',
      'update route shop GET /v',
      'create route shop GET /old',
    ]);
    assert.deepEqual(back.body.diff.changes[1].fields, [{ path: 'integration.body', from: '{"v":2}', to: '{"v":1}' }]);
    assert.deepEqual(back.body.diff.summary, { create: 1, update: 1, delete: 1 });
    // The same differ as `portico diff` of deployment 1's file against what runs (a dry run).
    const dry = await n.admin('POST', '/deployments', { config: v1, dryRun: true });
    assert.deepEqual(back.body.diff, dry.body.diff);
    assert.deepEqual((await n.admin('GET', '/deployments/1/diff?against=serving')).body, back.body);

    // Deployment 2 against the previous one and against id 1: what applying it changed.
    const prev = await n.admin('GET', '/deployments/2/diff?against=previous');
    assert.equal(prev.status, 200);
    assert.equal(prev.body.against.id, 1);
    assert.deepEqual(prev.body.diff, applied.body.diff);
    assert.deepEqual((await n.admin('GET', '/deployments/2/diff?against=1')).body, prev.body);
    // The serving deployment against itself: nothing.
    const none = await n.admin('GET', '/deployments/2/diff');
    assert.deepEqual(none.body.diff, { changes: [], summary: { create: 0, update: 0, delete: 0 } });

    // The CLI: portico diff --deployment ID [--against].
    const io = captureIo();
    assert.equal(await diffCommand(['--deployment', '1', ...n.flags], io), 0, io.errors.join());
    assert.match(io.lines.join('\n'), /^deleting route shop GET \/new$/m);
    assert.match(io.lines.join('\n'), /^creating route shop GET \/old$/m);
    const json = captureIo();
    assert.equal(await diffCommand(['--deployment', '2', '--against', 'previous', '--json', ...n.flags], json), 0);
    assert.deepEqual(JSON.parse(json.lines.join('\n')), applied.body.diff);
    const missing = captureIo();
    assert.equal(await diffCommand(['--deployment', '9', ...n.flags], missing), 1);
    assert.deepEqual(missing.errors, ['portico diff: no deployment 9']);
    await assert.rejects(diffCommand(['--against', '1', ...n.flags], captureIo()), UsageError);
  });

  test('unknown ids are 404 and bad ids 400, each naming what is wrong', async (t) => {
    const n = await Node.start(shop(1));
    t.after(() => n.remove());
    assert.equal((await n.admin('POST', '/deployments', { config: shop(2) })).status, 201);
    const cases: [string, number, string][] = [
      ['/deployments/9/diff', 404, 'no deployment 9'],
      ['/deployments/1/diff?against=9', 404, 'against: no deployment 9'],
      ['/deployments/1/diff?against=previous', 404, 'against: deployment 1 has no previous deployment'],
      ['/deployments/1/diff?against=abc', 400, 'against: expected a deployment id, "serving" or "previous", got "abc"'],
      ['/deployments/1/diff?against=1.5', 400, 'against: expected a deployment id, "serving" or "previous", got "1.5"'],
      ['/deployments/1/diff?against=0', 400, 'against: expected a deployment id, "serving" or "previous", got "0"'],
      ['/deployments/x/diff', 400, 'deployment id: expected a number, got "x"'],
      ['/deployments/0/diff', 400, 'deployment id: expected a number, got "0"'],
    ];
    for (const [path, status, message] of cases) {
      const r = await n.admin('GET', path);
      assert.deepEqual([path, r.status, r.body.message], [path, status, message]);
    }
    // The token is needed, as for every admin call.
    assert.equal((await fetch(`${n.gw.adminUrl}/deployments/1/diff`)).status, 401);
  });

  test('secrets are redacted; the history is read from the SQLite file after a restart; a config that no longer compiles is a 409', async (t) => {
    const env: NodeJS.ProcessEnv = { ...process.env, SHOP_BODY: '{"v":"env"}' };
    const n = await Node.start(shop(1), { env });
    t.after(() => n.remove());
    // Deployment 2: another admin token (a secret) and a body from ${SHOP_BODY}.
    const v2 = shop(2)
      .replace('admin-token-literal-0123456789', 'second-secret-token-9876543210')
      .replace(`'{"v":2}'`, "'${SHOP_BODY}'");
    assert.equal((await n.admin('POST', '/deployments', { config: v2 })).status, 201);
    assert.equal(await n.get('/v'), '{"v":"env"}');
    const r = await n.admin('GET', '/deployments/2/diff?against=1');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const text = JSON.stringify(r.body);
    assert.equal(text.includes('admin-token-literal'), false);
    assert.equal(text.includes('second-secret-token'), false);
    const admin = r.body.diff.changes.find((c: { name: string }) => c.name === 'admin');
    assert.deepEqual(admin, {
      action: 'update',
      kind: 'settings',
      name: 'admin',
      fields: [{ path: '(secret)', from: '[redacted]', to: '[redacted]' }],
    });

    // Back to 1, then a restart without SHOP_BODY: the history comes from the SQLite file, and
    // deployment 2 no longer validates here.
    assert.equal((await n.admin('POST', '/deployments/1/rollback')).status, 200);
    await n.stop();
    assert.ok((await stat(join(n.dir, 'portico-data', 'portico.db'))).size > 0);
    delete env.SHOP_BODY;
    await n.restart();
    assert.equal((await n.admin('GET', '/deployments')).body.deployments.length, 2);
    const broken = await n.admin('GET', '/deployments/2/diff');
    assert.equal(broken.status, 409);
    assert.match(broken.body.message, /^a deployment no longer compiles: .*deployment-2\.yaml.*SHOP_BODY/s);
    assert.ok(broken.body.issues.length > 0);
    env.SHOP_BODY = 'back';
    const again = await n.admin('GET', '/deployments/2/diff');
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.diff.changes[0], {
      action: 'update',
      kind: 'route',
      name: 'shop GET /v',
      fields: [{ path: 'integration.body', from: '{"v":1}', to: 'back' }],
    });
  });
});
