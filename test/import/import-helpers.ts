import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigText, compileConfig } from '../../src/features.js';
import { placeholderKeyEnv } from '../../src/import/keys-plans.js';
import { createLogger } from '../../src/logger.js';
import { createRuntimeDeps } from '../../src/pipeline/policy.js';
import { PoolRegistry } from '../../src/forward/pools.js';
import { fixture } from '../helpers/fixtures.js';

/** test/fixtures/corpus/<kind>/ and its JSON/YAML files, sorted. */
export function corpus(kind: 'openapi' | 'cloudformation'): { dir: string; files: string[] } {
  const dir = fixture('corpus', kind);
  const files = readdirSync(dir)
    .filter((f) => /\.(json|ya?ml)$/.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no corpus files in ${dir}`);
  return { dir, files };
}

/** The value an RFC 6901 pointer names in a document, or undefined. */
export function resolvePointer(doc: unknown, ptr: string): unknown {
  let cur = doc;
  for (const raw of ptr.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Validates and compiles an imported config as the gateway would; throws ConfigError if it can't. */
export async function compiles(config: Record<string, unknown>): Promise<void> {
  const text = stringify(config);
  // API key values the template could not give are read from PORTICO_KEY_* variables.
  const loaded = loadConfigText(
    text,
    'imported.yaml',
    placeholderKeyEnv([...new Set([...text.matchAll(/\$\{(PORTICO_KEY_\w+)\}/g)].map((m) => m[1] as string))]),
  );
  const pools = new PoolRegistry();
  try {
    compileConfig(loaded, { runtime: createRuntimeDeps({ pools, log: createLogger('silent') }), revision: 1 });
  } finally {
    await pools.close();
  }
}

/** A fresh temporary directory, removed when the test ends. */
export async function tempDir(t: TestContext, prefix = 'portico-import-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
