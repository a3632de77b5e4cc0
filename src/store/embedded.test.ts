import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ManualClock } from '../clock.js';
import { EmbeddedStore } from './embedded.js';
import { runStoreContract } from './store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'portico-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract(
  'embedded',
  async ({ clock, name }) => new EmbeddedStore({ file: join(dir, name, 'portico.db'), clock, sweepIntervalMs: 0 }),
);

test('embedded store: the SQLite file is private (0600) and holds what was flushed', async () => {
  const file = join(dir, 'mode', 'portico.db');
  const s = new EmbeddedStore({ file, clock: new ManualClock(), sweepIntervalMs: 0 });
  await s.put('keys', 'id1', { hash: 'abc123' });
  await s.close();
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file).toString('latin1'), /abc123/);
});
