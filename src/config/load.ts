import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { type ConfigIssue, ConfigError, type ConfigPath, formatPath } from './errors.js';
import { interpolateEnv } from './env.js';
import { checkOpenApiSources, expandOpenApiApis } from './openapi-apis.js';
import type { ConfigSchema, PorticoConfig } from './schema.js';
import type { LoadedConfig, OpenApiSource } from './loaded.js';

/** What the load thread (./load-thread.ts) sends back. */
export type LoadThreadResult =
  | { config: PorticoConfig; hash: string; warnings: readonly string[]; openapiSources?: readonly OpenApiSource[] }
  | { issues: ConfigIssue[] }
  | { error: string };

/**
 * Reads, parses and validates a config file against `schema`, the root schema src/features.ts assembles
 * (which exports loadConfigFile/loadConfigText bound to it). Large files are parsed on a worker thread,
 * which validates against the same root schema.
 */
export async function loadConfigFileWith(
  schema: ConfigSchema,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'file not found' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new ConfigError(abs, [{ path: [], message: `cannot read config: ${why}` }]);
  }
  const loaded =
    text.length >= OFF_THREAD_BYTES ? await loadOffThread(text, abs, env) : loadConfigTextWith(schema, text, abs, env);
  // apis[].openapi documents are checked structurally here, as that check is asynchronous (loadConfigText skips it).
  return checkOpenApiSources(loaded);
}

/**
 * Config files from this size up (about 1,500 routes) are parsed on a short-lived worker thread. The YAML
 * document of a 10,000-route file peaks near 100 MB of heap; V8 keeps such pages once grown, so parsed in
 * the gateway's own isolate it would stay in the RSS for good. A worker's heap goes away with the worker,
 * and only the validated config (plain data) comes back.
 */
const OFF_THREAD_BYTES = 256 * 1024;
// Under tsx (tests, `npm run dev`) this file is .ts and so is the worker's; the build has both as .js.
const LOAD_THREAD = new URL(`./load-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** Loads done on a worker thread so far (for tests). */
export let offThreadLoads = 0;

async function loadOffThread(text: string, file: string, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  offThreadLoads++;
  // piscina (as for functions) runs the .ts module under tsx too; one thread, gone when destroyed.
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: LOAD_THREAD.href, minThreads: 1, maxThreads: 1 });
  try {
    const msg = (await pool.run({ text, file, env: { ...env } })) as LoadThreadResult;
    if ('issues' in msg) throw new ConfigError(file, msg.issues);
    if ('error' in msg) throw new ConfigError(file, [{ path: [], message: msg.error }]);
    return {
      config: msg.config,
      file,
      dir: dirname(file),
      text,
      hash: msg.hash,
      warnings: msg.warnings,
      ...(msg.openapiSources ? { openapiSources: msg.openapiSources } : {}),
      issue: issueFinder(text),
    };
  } finally {
    await pool.destroy();
  }
}

/** Parses, interpolates and validates config text. Throws ConfigError listing every problem found. */
export function loadConfigTextWith(
  schema: ConfigSchema,
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: [], message: `YAML syntax: ${e.message.split('\n')[0]}`, ...at(e.pos[0]) })),
    );
  }
  const issue = issueFinder(text, { doc, lines: lineCounter });

  const issues: ConfigIssue[] = interpolateEnv(doc, env).map((p) => ({
    path: p.path,
    message: p.message,
    ...at(p.offset),
  }));
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias with no anchor (`*a`) or an alias bomb: the yaml library throws plain errors here.
    throw new ConfigError(file, [...issues, { path: [], message: `YAML: ${(err as Error).message.split('\n')[0]}` }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [...issues, { path: [], message: 'expected a mapping with version: 1 and apis' }]);
  }
  const imported = expandOpenApiApis(raw as Record<string, unknown>, dirname(file), issue, issues);
  const parsed = schema.safeParse(raw, { error: describeIssue });
  if (!parsed.success) {
    // A value whose env reference is missing was already reported; its schema error is noise.
    const envPaths = new Set(issues.map((i) => formatPath(i.path)));
    for (const zi of parsed.error.issues) {
      if (envPaths.has(formatPath(zi.path as ConfigPath))) continue;
      if (zi.code === 'unrecognized_keys') {
        for (const key of zi.keys)
          issues.push({ ...issue([...zi.path, key] as ConfigPath, `unknown key "${key}"`), ...keyPos(key, zi.path) });
      } else if (zi.code === 'invalid_key') {
        // zod's own message ("Invalid key in record") hides what the key schema expected.
        const key = String(zi.path.at(-1));
        const why = zi.issues[0]?.message ?? zi.message;
        issues.push({
          ...issue(zi.path as ConfigPath, `invalid key "${key}": ${why}`),
          ...keyPos(key, zi.path.slice(0, -1)),
        });
      } else {
        issues.push(issue(zi.path as ConfigPath, zi.message));
      }
    }
  }
  if (issues.length || !parsed.success) throw new ConfigError(file, issues);
  return {
    config: parsed.data,
    file,
    dir: dirname(file),
    text,
    hash: createHash('sha256').update(text).update(imported.digests.join()).digest('hex'),
    warnings: imported.warnings,
    openapiSources: imported.sources,
    // The YAML document (tens of MB for a 10,000-route file) is not kept for the config's lifetime:
    // later issues (compile errors) parse the text again to find their line and column.
    issue: issueFinder(text),
  };

  function keyPos(key: string, path: PropertyKey[]) {
    const parent = doc.getIn(path as unknown[], true);
    if (!isMap(parent)) return {};
    const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    return pair && isScalar(pair.key) ? at(pair.key.range?.[0]) : {};
  }
}

/**
 * `LoadedConfig.issue` for config text: positions from `parsed` while loading, or, kept with the loaded
 * config, from the text parsed again on first use (the document itself is not kept).
 */
function issueFinder(text: string, parsed?: { doc: Document; lines: LineCounter }): LoadedConfig['issue'] {
  let found = parsed;
  return (path, message) => {
    if (!found) {
      const lines = new LineCounter();
      found = { doc: parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false }), lines };
    }
    const offset = locate(found.doc, path);
    if (offset === undefined) return { path, message };
    const { line, col } = found.lines.linePos(offset);
    return { path, message, line, column: col };
  };
}

/** Offset of the deepest existing node on the path. */
function locate(doc: Document, path: ConfigPath): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const key of path) {
    let next: unknown;
    if (isMap(node)) next = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)?.value;
    else if (isSeq(node) && typeof key === 'number') next = node.items[key];
    if (!next) break;
    node = next;
    offset = (node as Node).range?.[0] ?? offset;
  }
  return offset;
}

/** Plainer messages than zod's defaults for the common cases. */
function describeIssue(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code === 'invalid_type') {
    if (iss.input === undefined) return `missing required key (expected ${iss.expected})`;
    return `expected ${iss.expected}, got ${describeValue(iss.input)}`;
  }
  if (iss.code === 'invalid_value') {
    return `expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(iss.input)}`;
  }
  return undefined;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return `${typeof v} ${String(v)}`;
}
