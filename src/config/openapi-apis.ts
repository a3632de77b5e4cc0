/**
 * `apis[].openapi: FILE`: an API defined by an OpenAPI/Swagger document (with the x-amazon-apigateway-*
 * extensions), imported when the config is loaded, as `portico import openapi` would, so the document
 * stays the source of truth. Runs on the parsed config before validation: each such entry is replaced
 * by the imported API, with the entry's other API keys laid over it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { importOpenApi, isObj, type Json } from '../import/openapi.js';
import { checkOpenApi, formatOpenApiErrors } from '../import/openapi-validate.js';
import { ConfigError, type ConfigIssue, type ConfigPath } from './errors.js';
import type { LoadedConfig, OpenApiSource } from './loaded.js';

/** Entry keys that are name → string maps for the importer, with the `portico import` flag each stands for. */
const STRING_MAPS = {
  params: 'param',
  vpcLinks: 'vpc-link',
  functions: 'function',
  authorizerFunctions: 'authorizer-function',
  jwks: 'jwks',
} as const;
/** Keys of an `openapi` entry that steer the import; every other key overrides the imported API. */
const IMPORT_KEYS: ReadonlySet<string> = new Set([
  'openapi',
  'strict',
  'stage',
  'backend',
  ...Object.keys(STRING_MAPS),
]);

export interface OpenApiExpansion {
  /** What the importer could not map, as warnings to log ("apis[1] (pets.json): ..."). */
  warnings: string[];
  /** sha256 of each imported document, so a reload sees a changed document even if the config is unchanged. */
  digests: string[];
  /** The documents imported, for checkOpenApiSources. */
  sources: OpenApiSource[];
}

export function expandOpenApiApis(
  raw: Json,
  dir: string,
  issue: (path: ConfigPath, message: string) => ConfigIssue,
  issues: ConfigIssue[],
): OpenApiExpansion {
  const out: OpenApiExpansion = { warnings: [], digests: [], sources: [] };
  if (!Array.isArray(raw.apis)) return out;
  const apis = raw.apis as unknown[];
  apis.forEach((entry: unknown, i: number) => {
    if (!isObj(entry) || entry.openapi === undefined) return;
    const at = (...p: (string | number)[]) => ['apis', i, ...p];
    if (typeof entry.openapi !== 'string' || entry.openapi === '') {
      issues.push(
        issue(at('openapi'), 'expected the path of an OpenAPI/Swagger file (JSON or YAML), relative to this config'),
      );
      return;
    }
    const maps: Record<string, Record<string, string>> = {};
    for (const [k, flag] of Object.entries(STRING_MAPS)) {
      const v = entry[k];
      if (v === undefined) continue;
      if (!isObj(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        issues.push(issue(at(k), `expected a mapping of names to strings (as --${flag} NAME=VALUE)`));
        return;
      }
      maps[k] = v as Record<string, string>;
    }
    if (entry.backend !== undefined && (typeof entry.backend !== 'string' || entry.backend === '')) {
      issues.push(
        issue(
          at('backend'),
          'expected an http(s) URL or the name of an upstream (as --backend), for operations without an integration',
        ),
      );
      return;
    }
    const file = resolve(dir, entry.openapi);
    let doc: unknown;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      doc = parse(text, { maxAliasCount: 100 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      issues.push(
        issue(
          at('openapi'),
          e.code === 'ENOENT'
            ? `${entry.openapi}: file not found`
            : `${entry.openapi}: not valid JSON or YAML: ${e.message.split('\n')[0]}`,
        ),
      );
      return;
    }
    out.digests.push(createHash('sha256').update(text).digest('hex'));
    out.sources.push({ index: i, entry: entry.openapi, file });
    let imported: {
      config: Json;
      report: { notes: { level: string; pointer: string; feature: string; reason: string }[] };
    };
    try {
      imported = importOpenApi(doc, {
        ...maps,
        escapeEnvRefs: false,
        ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
        ...(entry.type === 'rest' || entry.type === 'http' ? { type: entry.type } : {}),
        ...(typeof entry.stage === 'string' ? { stage: entry.stage } : {}),
        ...(typeof entry.backend === 'string' ? { backend: entry.backend } : {}),
      });
    } catch (err) {
      issues.push(issue(at('openapi'), `${entry.openapi}: ${(err as Error).message}`));
      return;
    }
    const notes = imported.report.notes;
    const unsupported = notes.filter((n) => n.level === 'unsupported');
    if (entry.strict === true && unsupported.length) {
      for (const n of unsupported)
        issues.push(
          issue(
            at('openapi'),
            `${entry.openapi}${n.pointer ? ` ${n.pointer}` : ''}: ${n.feature}: ${n.reason} (strict)`,
          ),
        );
      return;
    }
    for (const n of notes)
      out.warnings.push(
        `apis[${i}] (${entry.openapi}) ${n.level} ${n.pointer || '(document)'}: ${n.feature}: ${n.reason}`,
      );
    const config = imported.config;
    const api = (config.apis as Json[])[0] as Json;
    const overrides = Object.fromEntries(Object.entries(entry).filter(([k]) => !IMPORT_KEYS.has(k)));
    apis[i] = { ...api, ...overrides };
    // VPC links become named upstreams: added unless the config defines the same name itself.
    if (isObj(config.upstreams)) {
      const ups = (raw.upstreams = isObj(raw.upstreams) ? raw.upstreams : {}) as Json;
      for (const [name, u] of Object.entries(config.upstreams)) ups[name] ??= u;
    }
  });
  return out;
}

/**
 * The structural check of each `apis[].openapi` document (import/openapi-validate.ts, as `portico import openapi`
 * runs it), after the config loaded: it is asynchronous, the load is not. An error is a ConfigError at
 * `apis[N].openapi`; schema violations AWS lets through are added to the warnings.
 */
export async function checkOpenApiSources(loaded: LoadedConfig): Promise<LoadedConfig> {
  const sources = loaded.openapiSources ?? [];
  if (!sources.length) return loaded;
  const issues: ConfigIssue[] = [];
  const warnings = [...loaded.warnings];
  for (const s of sources) {
    let doc: unknown;
    try {
      doc = parse(readFileSync(s.file, 'utf8'), { maxAliasCount: 100 });
    } catch (err) {
      issues.push(loaded.issue(['apis', s.index, 'openapi'], `${s.entry}: ${(err as Error).message.split('\n')[0]}`));
      continue;
    }
    const check = await checkOpenApi(doc, s.file);
    if (check.errors.length)
      issues.push(loaded.issue(['apis', s.index, 'openapi'], `${s.entry}: ${formatOpenApiErrors(check.errors)}`));
    for (const w of check.warnings)
      warnings.push(`apis[${s.index}] (${s.entry}) ${w} (not valid OpenAPI; imported anyway, as AWS does)`);
  }
  if (issues.length) throw new ConfigError(loaded.file, issues);
  return { ...loaded, warnings };
}
