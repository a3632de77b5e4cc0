import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { ConfigError, formatIssue } from '../../src/config/errors.js';
import { loadConfigText } from '../../src/features.js';

/**
 * Every config example in docs/*.md is valid against the published JSON Schema and the loader (issue 21).
 *
 * The rule: a ```yaml block is a config example when its top level is a mapping and every top-level
 * key is a key of the config's root (version, server, admin, apis, store, observability, ...). A block
 * with `version` is a full config; one without is a fragment, completed with `version: 1` and, when it
 * has no `apis`, one API with a mock route. Other blocks (a route's `integration:`, a Kubernetes
 * manifest) are not config files and are not checked. docs/design.md is the design brief, whose key
 * names it says are illustrative: not checked. `${NAME}` references get a 32-character stand-in. An
 * example naming an OpenAPI file (`apis[].openapi`) is checked against the JSON Schema only: the file is the reader's.
 */

const ROOT = new URL('../../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('schema/portico.schema.json', ROOT), 'utf8')) as {
  properties: Record<string, unknown>;
};
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const validate = ajv.compile(schema);
const ROOT_KEYS = new Set(Object.keys(schema.properties));
const SKIP = new Set(['design.md']);
const FILLER_API = {
  name: 'docs-example',
  type: 'http',
  stages: { $default: {} },
  routes: [{ route: 'GET /x', integration: { type: 'mock' } }],
};

interface Example {
  where: string;
  text: string;
}

function examples(): Example[] {
  const dir = new URL('docs/', ROOT);
  const out: Example[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.md') && !SKIP.has(f))
    .sort()) {
    const lines = readFileSync(new URL(name, dir), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== '```yaml') continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end] !== '```') end++;
      out.push({ where: `docs/${name}:${start + 1}`, text: lines.slice(start, end).join('\n') });
      i = end;
    }
  }
  return out;
}

function isConfig(doc: unknown): doc is Record<string, unknown> {
  return !!doc && typeof doc === 'object' && !Array.isArray(doc) && Object.keys(doc).every((k) => ROOT_KEYS.has(k));
}

test('every config example in docs/*.md validates against schema/portico.schema.json and the loader', () => {
  const checked: string[] = [];
  const failures: string[] = [];
  for (const ex of examples()) {
    let doc: unknown;
    try {
      doc = parse(ex.text);
    } catch (err) {
      // Not YAML at all: a broken example, whatever it was meant to be.
      failures.push(`${ex.where} (YAML): ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!isConfig(doc)) continue;
    checked.push(ex.where);
    const full = { version: 1, ...doc, ...(doc.apis ? {} : { apis: [FILLER_API] }) };
    const env: Record<string, string> = {};
    for (const m of ex.text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[m[1] as string] = 'x'.repeat(32);
    // The JSON Schema sees the file as written: ${ENV} references in place.
    if (!validate(full))
      failures.push(
        `${ex.where} (JSON Schema): ${ajv.errorsText(validate.errors?.filter((e) => e.keyword !== 'anyOf'))}`,
      );
    // An example that names a file of the reader's (an OpenAPI document) is checked against the schema only.
    if ((doc.apis as { openapi?: unknown }[] | undefined)?.some((a) => a && typeof a === 'object' && 'openapi' in a))
      continue;
    const text = `${doc.version === undefined ? 'version: 1\n' : ''}${ex.text}\n${doc.apis ? '' : `apis: [${JSON.stringify(FILLER_API)}]\n`}`;
    try {
      loadConfigText(text, join(new URL('docs/', ROOT).pathname, 'example.yaml'), env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      failures.push(`${ex.where} (loader): ${err.issues.map((i) => formatIssue('', i)).join('; ')}`);
    }
  }
  assert.ok(checked.length >= 15, `config examples found: ${checked.join(', ')}`);
  process.stdout.write(`# FIGURE docs.config-examples: ${checked.length} checked\n`);
  assert.deepEqual(failures, []);
});
