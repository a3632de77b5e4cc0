import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ROOT, runCli } from '../helpers/cli.js';

// Docker can't run on the CI machines: these checks keep the deploy files in step with the code.

test('deploy/portico.compose.yaml is a valid config', () => {
  const r = runCli(['validate', '-c', 'deploy/portico.compose.yaml'], {
    PORTICO_ADMIN_TOKEN: 'compose-test-token-0123456789',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ok \(2 APIs/);
});

test('compose and the Dockerfile run the command the cluster tests run', () => {
  const compose = parse(readFileSync(join(ROOT, 'deploy/compose.yaml'), 'utf8')) as {
    services: Record<string, { command?: string[] }>;
  };
  const cmd = compose.services['portico-1']?.command ?? [];
  assert.deepEqual(cmd.slice(0, 1), ['start']);
  for (const flag of ['-c', '--data-dir', '--listen', '--admin-listen', '--no-watch'])
    assert.ok(cmd.includes(flag), `compose command has ${flag}`);
  const harness = readFileSync(join(ROOT, 'test/cluster/harness.ts'), 'utf8');
  for (const flag of ['-c', '--data-dir', '--listen', '--admin-listen', '--no-watch'])
    assert.ok(harness.includes(`'${flag}'`), `the harness passes ${flag}`);
  const dockerfile = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
  assert.match(
    dockerfile,
    new RegExp(`CMD \\[${cmd.map((c) => JSON.stringify(c).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(', ')}\\]`),
  );
  assert.match(dockerfile, /^USER node$/m, 'the image runs as a non-root user');
  assert.equal((dockerfile.match(/^FROM /gm) ?? []).length, 2, 'multi-stage');
});
