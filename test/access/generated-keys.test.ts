import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../import/import-helpers.js';
import { call } from '../helpers/http-call.js';
import { startTestGateway } from '../helpers/gateway.js';
import { admin } from './key-helpers.js';

// Issue #20: an apiKeys entry without a value (what `portico import cloudformation` writes for an ApiKey without
// Value) gets a generated value on first start, stored hashed, shown once, kept across restarts.

const config = (dataDir: string, value = '') => `version: 1
dataDir: ${JSON.stringify(dataDir)}
usagePlans:
  basic: { stages: { pets/prod: {} } }
apiKeys:
  partner: { usagePlans: [basic]${value} }
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /pets
        apiKeyRequired: true
        integration: { type: mock, statusCode: 200, body: pets }
`;

test('a declared key without a value: generated on first start, shown once, only its hash stored, kept on restart', async (t) => {
  const dataDir = await tempDir(t, 'portico-genkey-');
  const first = await startTestGateway(config(dataDir));
  const list = await admin(first.gw, 'GET', '/keys');
  assert.deepEqual(
    (list.body.items as Record<string, unknown>[]).map((k) => [k.id, k.source, k.valueGenerated, k.valueNotShown]),
    [['cfg-partner', 'config', true, true]],
  );
  const shown = await admin(first.gw, 'GET', '/keys/cfg-partner');
  const value = shown.body.value as string;
  assert.match(value, /^[A-Za-z0-9_-]{40}$/);
  assert.equal((await admin(first.gw, 'GET', '/keys/cfg-partner')).body.value, undefined, 'shown once');
  assert.equal((await call(first.port, 'GET', '/prod/pets', { 'x-api-key': value })).status, 200);
  assert.equal((await call(first.port, 'GET', '/prod/pets')).status, 403);
  await first.close();

  // Nothing under the data directory holds the value in clear.
  for (const f of await readdir(dataDir, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) assert.ok(!(await readFile(join(f.parentPath, f.name), 'utf8')).includes(value), f.name);
  }

  // A restart keeps the generated value (not generated again, not shown again).
  const second = await startTestGateway(config(dataDir));
  t.after(() => second.close());
  assert.equal((await call(second.port, 'GET', '/prod/pets', { 'x-api-key': value })).status, 200);
  assert.equal((await admin(second.gw, 'GET', '/keys/cfg-partner')).body.value, undefined);

  // Declaring a value replaces the generated one.
  const declared = 'declared-value-0123456789abcdef';
  await second.write(config(dataDir, `, value: ${declared}`));
  assert.equal((await admin(second.gw, 'POST', '/reload')).status, 200);
  assert.equal((await call(second.port, 'GET', '/prod/pets', { 'x-api-key': value })).status, 403);
  assert.equal((await call(second.port, 'GET', '/prod/pets', { 'x-api-key': declared })).status, 200);
});
