import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { redisSuiteSkip, startRedis } from '../helpers/redis.js';
import { Node, shop } from './helpers.js';

const skip = redisSuiteSkip('deployments on one Redis');

/** Polls until fn() is true or the deadline passes (the other node hears of the change through pub/sub). */
async function within(ms: number, fn: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return fn();
}

const secret = `${randomBytes(32).toString('base64url')}\n`;

/** A node of the cluster: its own dir holding the secret every node shares (as test/cluster/harness.ts does). */
async function node(yaml: string): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-deploy-'));
  await writeFile(join(dir, 'api-key.secret'), secret, { mode: 0o600 });
  return Node.start(yaml, {}, dir);
}

describe('deployments on one Redis', { skip }, () => {
  test('two nodes: apply on one, both serve it; a rollback on the other reaches the first', async (t) => {
    const redis = await startRedis(t as unknown as TestContext);
    if (!redis) return;
    t.after(() => redis.stop());
    const store = `store: { kind: redis, url: "${redis.url}", keyPrefix: "dep-${randomBytes(4).toString('hex')}:" }\ndataDir: .\n`;
    const a = await node(store + shop(1));
    t.after(() => a.remove());
    const b = await node(store + shop(1));
    t.after(() => b.remove());
    // The same file on both: one deployment.
    assert.equal((await b.admin('GET', '/deployments')).body.deployments.length, 1);

    const r = await a.admin('POST', '/deployments', { config: store + shop(2), description: 'on a' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(await a.get('/v'), '{"v":2}');
    assert.ok(await within(5000, async () => (await b.get('/v')) === '{"v":2}'), 'node b never served deployment 2');
    assert.equal((await b.admin('GET', '/config')).body.deploymentId, 2);

    assert.equal((await b.admin('POST', '/deployments/1/rollback')).status, 200);
    assert.ok(await within(5000, async () => (await a.get('/v')) === '{"v":1}'), 'node a never rolled back');

    // A node started later serves the current deployment, not a new one from its file.
    await a.admin('POST', '/deployments', { config: store + shop(3) });
    const c = await node(store + shop(1));
    t.after(() => c.remove());
    assert.equal(await c.get('/v'), '{"v":3}');
  });
});
