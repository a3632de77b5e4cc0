import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type ConfigIssue, type ConfigPath } from '../config/errors.js';
import type { LoadedConfig } from '../config/loaded.js';
import type { Feature } from '../feature.js';
import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import type { GatewayReply, PhasePolicy } from '../kernel/context.js';
import { ACCESS_PHASES } from '../kernel/lifecycle.js';
import type { MetricDescription, PluginApi, PluginManifest } from '../kernel/manifest.js';
import { METRICS } from '../observability/keys.js';
import { pluginFeature } from './adapter.js';
import type { PluginEntryConfig } from './schema.js';
import type { RuntimeDeps } from '../pipeline/context.js';

/** The config's plugins, loaded: one Feature each, compiled after the built-ins (compileConfig). */
export interface LoadedPlugins {
  /** The loaded config, its hash covering the plugin files too (a reload after a plugin edit is not a no-op). */
  readonly loaded: LoadedConfig;
  readonly features: readonly Feature[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const PHASES: ReadonlySet<string> = new Set(ACCESS_PHASES);
const ERRORS = GATEWAY_ERRORS as Readonly<Record<string, GatewayReply['error']>>;

/**
 * Imports every `plugins[i].path` (resolved against the config file's directory), checks its manifest,
 * validates `plugins[i].config` with its configSchema and makes its policies. Every problem is a
 * located config error (`plugins[0].config.header: ...`), all reported together as one ConfigError.
 *
 * A file is imported with its content hash in the URL, so a plugin edited on disk is imported again
 * by the next reload; an unchanged one comes from the module cache. (Modules the plugin itself imports
 * are not re-imported.)
 */
export async function loadPlugins(
  loaded: LoadedConfig,
  runtime: Pick<RuntimeDeps, 'log' | 'services'>,
): Promise<LoadedPlugins> {
  const entries: readonly PluginEntryConfig[] = loaded.config.plugins;
  if (entries.length === 0) return { loaded, features: [] };
  const issues: ConfigIssue[] = [];
  const apiNames = new Set(loaded.config.apis.map((a) => a.name));
  const names = new Map<string, number>();
  const features: Feature[] = [];
  const digests: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const at = (...p: (string | number)[]): ConfigPath => ['plugins', i, ...p];
    const report = (path: ConfigPath, message: string) => issues.push(loaded.issue(path, message));
    entry.apis?.forEach((a, j) => {
      if (!apiNames.has(a)) report(at('apis', j), `unknown API "${a}"; APIs: ${[...apiNames].join(', ')}`);
    });
    const file = resolve(loaded.dir, entry.path);
    const mod = await importPlugin(file, digests);
    if (typeof mod === 'string') {
      report(at('path'), mod);
      continue;
    }
    const manifest = (mod.manifest ?? mod.default) as PluginManifest | undefined;
    if (typeof manifest !== 'object' || manifest === null) {
      report(
        at('path'),
        `${file} exports no plugin manifest (export const manifest = { name, configSchema, policies } or a default export)`,
      );
      continue;
    }
    const { name } = manifest;
    if (typeof name !== 'string' || !NAME.test(name)) {
      report(
        at('path'),
        `the plugin manifest of ${file} needs a name of letters, digits, "_" or "-" (max 64)${typeof name === 'string' ? `, got ${JSON.stringify(name)}` : ''}`,
      );
      continue;
    }
    const first = names.get(name);
    if (first !== undefined) {
      report(at('path'), `plugin name "${name}" is already used by plugins[${first}]`);
      continue;
    }
    names.set(name, i);
    const config = validateConfig(manifest, entry.config, at, report);
    const metrics = checkMetrics(manifest, at, report);
    if (config === INVALID || !metrics) continue;
    const api = pluginApi(name, metrics, runtime);
    const policies = makePolicies(manifest, config, api, at, report);
    if (!policies) continue;
    features.push(pluginFeature(name, policies, entry.apis, manifest.metrics, runtime.log));
  }
  if (issues.length) throw new ConfigError(loaded.file, issues);
  const hash = createHash('sha256').update(loaded.hash).update(digests.join()).digest('hex');
  return { loaded: { ...loaded, hash }, features };
}

/** The module, or why it could not be imported. */
async function importPlugin(file: string, digests: string[]): Promise<Record<string, unknown> | string> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return `cannot load plugin ${file}: ${e.code === 'ENOENT' ? 'file not found' : e.code === 'EISDIR' ? 'is a directory' : e.message}`;
  }
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  digests.push(digest);
  try {
    return (await import(`${pathToFileURL(file).href}?v=${digest}`)) as Record<string, unknown>;
  } catch (err) {
    return `cannot load plugin ${file}: ${(err as Error).message?.split('\n')[0] ?? String(err)}`;
  }
}

const INVALID = Symbol('invalid');

/** plugins[i].config through the plugin's configSchema (zod), each issue at its path under plugins[i].config. */
function validateConfig(
  manifest: PluginManifest,
  config: Record<string, unknown> | undefined,
  at: (...p: (string | number)[]) => ConfigPath,
  report: (path: ConfigPath, message: string) => void,
): unknown {
  const schema = manifest.configSchema;
  if (schema === undefined) return config ?? {};
  if (typeof (schema as { safeParse?: unknown }).safeParse !== 'function') {
    report(at('path'), `plugin "${manifest.name}": configSchema must be a zod schema`);
    return INVALID;
  }
  // A plugin may bundle its own zod: only safeParse and the issues' path and message are relied on.
  const parsed = schema.safeParse(config ?? {});
  if (parsed.success) return parsed.data;
  for (const zi of parsed.error.issues as {
    path: (string | number)[];
    message: string;
    code?: string;
    keys?: string[];
  }[]) {
    // As the config's own unknown keys are reported: one error at each key.
    if (zi.code === 'unrecognized_keys' && zi.keys)
      for (const k of zi.keys) report(at('config', ...zi.path, k), `unknown key "${k}"`);
    else report(at('config', ...zi.path), zi.message);
  }
  return INVALID;
}

/** The declared metrics by name, with their Prometheus name; only counters (PluginApi.count). */
function checkMetrics(
  manifest: PluginManifest,
  at: (...p: (string | number)[]) => ConfigPath,
  report: (path: ConfigPath, message: string) => void,
): Map<string, MetricDescription & { full: string }> | undefined {
  const out = new Map<string, MetricDescription & { full: string }>();
  const list: unknown = manifest.metrics ?? [];
  if (!Array.isArray(list)) {
    report(at('path'), `plugin "${manifest.name}": metrics must be a list of { name, help, type: counter }`);
    return undefined;
  }
  for (const m of list as Partial<MetricDescription>[]) {
    const bad = (why: string) =>
      report(at('path'), `plugin "${manifest.name}": metric ${JSON.stringify(m?.name)}: ${why}`);
    if (typeof m?.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.name))
      bad('expected a name of letters, digits and "_"');
    else if ((m.type ?? 'counter') !== 'counter') bad(`only counters are supported (gateway.count), not ${m.type}`);
    else if (out.has(m.name)) bad('declared twice');
    else
      out.set(m.name, {
        name: m.name,
        help: typeof m.help === 'string' && m.help ? m.help : m.name,
        type: 'counter',
        full: metricName(manifest.name, m.name),
      });
  }
  return out.size === list.length ? out : undefined;
}

/** `portico_plugin_<name>_<metric>_total`, lower case, anything but [a-z0-9_] as "_" (metrics.ts's style). */
export function metricName(plugin: string, metric: string): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const base = `portico_plugin_${clean(plugin)}_${clean(metric)}`;
  return base.endsWith('_total') ? base : `${base}_total`;
}

/**
 * What the plugin gets beside its config. count() of an undeclared metric throws: inside a policy
 * that is a plugin error (500 for that request, logged), so the mistake shows at once.
 */
function pluginApi(
  name: string,
  metrics: Map<string, MetricDescription & { full: string }>,
  runtime: Pick<RuntimeDeps, 'services'>,
): PluginApi {
  const svc = runtime.services.get(METRICS);
  // `portico validate` compiles without services: counting is then a no-op.
  const counters = new Map([...metrics].map(([k, m]) => [k, svc ? svc.namedCounter(m.full, m.help) : { inc() {} }]));
  return Object.freeze({
    errors: ERRORS,
    services: runtime.services as PluginApi['services'],
    count(metric: string, by = 1) {
      const c = counters.get(metric);
      if (!c) throw new Error(`plugin "${name}" counted "${metric}", which its manifest.metrics does not declare`);
      if (typeof by !== 'number' || !Number.isFinite(by) || by < 0)
        throw new Error(`plugin "${name}" counted "${metric}" by ${String(by)}; expected a number >= 0`);
      c.inc(by);
    },
  });
}

/** manifest.policies(config, api), each checked: a name, an access phase, an access function. */
function makePolicies(
  manifest: PluginManifest,
  config: unknown,
  api: PluginApi,
  at: (...p: (string | number)[]) => ConfigPath,
  report: (path: ConfigPath, message: string) => void,
): PhasePolicy[] | undefined {
  if (manifest.policies === undefined) return [];
  if (typeof manifest.policies !== 'function') {
    report(at('path'), `plugin "${manifest.name}": policies must be a function (config, gateway) => [policies]`);
    return undefined;
  }
  let made: unknown;
  try {
    made = manifest.policies(config, api);
  } catch (err) {
    report(at(), `plugin "${manifest.name}": policies() threw: ${(err as Error)?.message ?? String(err)}`);
    return undefined;
  }
  if (!Array.isArray(made)) {
    report(at('path'), `plugin "${manifest.name}": policies() returned ${typeof made}; expected a list`);
    return undefined;
  }
  const out: PhasePolicy[] = [];
  made.forEach((p: Partial<PhasePolicy> | null, k) => {
    const label = `plugin "${manifest.name}" policy ${typeof p?.name === 'string' ? `"${p.name}"` : k}`;
    if (typeof p !== 'object' || p === null) report(at('path'), `${label}: expected { name, phase, access }`);
    else if (typeof p.phase !== 'string' || !PHASES.has(p.phase)) {
      report(
        at('path'),
        `${label}: phase ${JSON.stringify(p.phase)} is not an access phase; expected one of ${ACCESS_PHASES.join(', ')}`,
      );
    } else if (typeof p.access !== 'function')
      report(at('path'), `${label}: access must be a function (ctx) => reply | undefined`);
    else
      out.push({
        name: typeof p.name === 'string' && p.name ? p.name : String(k),
        phase: p.phase,
        access: p.access.bind(p),
      });
  });
  return out.length === made.length ? out : undefined;
}
