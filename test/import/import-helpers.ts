import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadConfigText } from '../../src/config/load.js';
import { placeholderKeyEnv } from '../../src/import/keys-plans.js';
import { createLogger } from '../../src/logger.js';
import { createRuntimeDeps } from '../../src/pipeline/policy.js';
import { compileSnapshot } from '../../src/pipeline/snapshot.js';
import { PoolRegistry } from '../../src/proxy/pools.js';

/** ../shared/corpus/<kind>/ and its JSON/YAML files ([] when the corpus is absent). */
export function corpus(kind: 'openapi' | 'cloudformation'): { dir: string; files: string[] } {
  const dir = fileURLToPath(new URL(`../../../shared/corpus/${kind}/`, import.meta.url));
  return { dir, files: existsSync(dir) ? readdirSync(dir).filter((f) => /\.(json|ya?ml)$/.test(f)) : [] };
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
  const loaded = loadConfigText(text, 'imported.yaml', placeholderKeyEnv([...new Set([...text.matchAll(/\$\{(PORTICO_KEY_\w+)\}/g)].map((m) => m[1] as string))]));
  const pools = new PoolRegistry();
  try {
    compileSnapshot(loaded, { runtime: createRuntimeDeps({ pools, log: createLogger('silent') }), revision: 1 });
  } finally {
    await pools.close();
  }
}
