// The worker side of loadConfigFile for large files (see OFF_THREAD_BYTES in load.ts), run by a one-thread
// piscina pool: parses and validates the text and returns the config (or the issues). The pool is then
// destroyed, and the parse garbage goes with its thread.
// An entry point like the CLI: it validates against the root schema, so it imports the composition root.
import { ConfigError } from './errors.js';
import type { LoadThreadResult } from './load.js';
import { loadConfigText } from '../features.js';

export default function load({
  text,
  file,
  env,
}: {
  text: string;
  file: string;
  env: NodeJS.ProcessEnv;
}): LoadThreadResult {
  try {
    const loaded = loadConfigText(text, file, env);
    return {
      config: loaded.config,
      hash: loaded.hash,
      warnings: loaded.warnings,
      ...(loaded.openapiSources ? { openapiSources: loaded.openapiSources } : {}),
    };
  } catch (err) {
    if (err instanceof ConfigError) return { issues: [...err.issues] };
    return { error: (err as Error).message };
  }
}
