import { isAbsolute, resolve } from 'node:path';
import { startChecks } from '../config/checks.js';
import { type ConfigIssue, ConfigError, formatPath } from '../config/errors.js';
import { parseListen } from '../config/listen.js';
import type { LoadedConfig } from '../config/loaded.js';
import { loadConfigFile, compileConfig } from '../features.js';
import { type Gateway, type StartOptions, startGateway } from '../gateway.js';
import { createLogger } from '../logger.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { formatTable, routeRows } from '../pipeline/route-table.js';
import { PoolRegistry } from '../forward/pools.js';
import { loadPlugins } from '../plugins/load.js';
import { parseCommandArgs, UsageError } from './args.js';
import { startWorkers } from '../cluster/start.js';
import { installLastResort } from './last-resort.js';
import { writePidFile } from './pid-file.js';
import { adminFetch, adminOptions, configOption, configPath, resolveAdmin } from './admin-client.js';

import type { Io } from '../kernel/cli.js';
import type { Snapshot } from '../pipeline/context.js';

export type { Io };

function checkListen(command: string, flag: string, value: string | undefined): void {
  if (value === undefined) return;
  try {
    parseListen(value);
  } catch (err) {
    throw new UsageError(`portico ${command}: --${flag} ${(err as Error).message}`);
  }
}

/**
 * Loads and compiles without listening; pools are created lazily, so nothing connects. `checks`
 * (validate: the start checks) are reported together with the compile's errors.
 */
async function compileFile(
  file: string,
  env: NodeJS.ProcessEnv,
  checks?: (loaded: LoadedConfig) => ConfigIssue[],
): Promise<{ loaded: LoadedConfig; snapshot: Snapshot }> {
  const pools = new PoolRegistry();
  const runtime = createRuntimeDeps({ pools, log: createLogger('silent') });
  try {
    const first = await loadConfigFile(file, env);
    const issues = checks?.(first) ?? [];
    let compiled: { loaded: LoadedConfig; snapshot: Snapshot };
    try {
      const { loaded, features } = await loadPlugins(first, runtime);
      compiled = { loaded, snapshot: compileConfig(loaded, { runtime, revision: 1 }, features) };
    } catch (err) {
      if (issues.length && err instanceof ConfigError) throw new ConfigError(err.file, [...err.issues, ...issues]);
      throw err;
    }
    if (issues.length) throw new ConfigError(first.file, issues);
    return compiled;
  } finally {
    await pools.close();
  }
}

/**
 * `portico validate [--json]`: the schema, the compile and the checks `start` makes (startChecks), all
 * reported at once. --json prints one object on stdout, for CI: {ok, file, apis, routes, warnings} or
 * {ok: false, file, errors: [{path, segments, message, line, column}]}; the exit code is the same.
 */
export async function validateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('validate', argv, { ...configOption, json: { type: 'boolean' } });
  const file = configPath(values, io.env);
  let result: { loaded: LoadedConfig; snapshot: Snapshot };
  try {
    result = await compileFile(file, io.env, startChecks);
  } catch (err) {
    if (!values.json) throw err;
    const errors =
      err instanceof ConfigError
        ? err.issues.map((i) => ({
            path: formatPath(i.path),
            segments: i.path,
            message: i.message,
            line: i.line,
            column: i.column,
          }))
        : [{ path: formatPath([]), segments: [], message: (err as Error).message }];
    io.out(JSON.stringify({ ok: false, file: err instanceof ConfigError ? err.file : resolve(file), errors }, null, 2));
    return 1;
  }
  const { loaded, snapshot } = result;
  const routes = snapshot.apis.reduce((n, a) => n + a.routes.length, 0);
  if (values.json) {
    const out = { ok: true, file: loaded.file, apis: snapshot.apis.length, routes, warnings: loaded.warnings };
    io.out(JSON.stringify(out, null, 2));
    return 0;
  }
  for (const w of loaded.warnings) io.err(`warning: ${w}`);
  io.out(
    `${loaded.file}: ok (${snapshot.apis.length} API${snapshot.apis.length === 1 ? '' : 's'}, ${routes} route${routes === 1 ? '' : 's'})`,
  );
  return 0;
}

export async function routesCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('routes', argv, { ...configOption, json: { type: 'boolean' } });
  const { snapshot } = await compileFile(configPath(values, io.env), io.env);
  const rows = routeRows(snapshot);
  if (values.json) io.out(JSON.stringify(rows, null, 2));
  else
    io.out(
      formatTable(rows as unknown as Record<string, string>[], [
        'api',
        'type',
        'stage',
        'method',
        'path',
        'integration',
      ]),
    );
  return 0;
}

export async function reloadCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('reload', argv, adminOptions);
  const admin = await resolveAdmin(values, io);
  const res = await adminFetch(admin, '/reload', 'POST');
  const body = (await res.json().catch(() => ({}))) as {
    ok?: boolean;
    changed?: boolean;
    revision?: number;
    error?: string;
    message?: string;
  };
  if (!body.ok) {
    io.err(body.error ?? body.message ?? `reload failed with HTTP ${res.status}`);
    return 1;
  }
  io.out(body.changed ? `reloaded: now at revision ${body.revision}` : `unchanged: revision ${body.revision}`);
  return 0;
}

const listenOptions = { listen: { type: 'string' }, 'admin-listen': { type: 'string' } } as const;

export async function startCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('start', argv, {
    ...configOption,
    ...listenOptions,
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
    'no-watch': { type: 'boolean' },
    workers: { type: 'string' },
    'pid-file': { type: 'string' },
  });
  checkListen('start', 'listen', values.listen);
  checkListen('start', 'admin-listen', values['admin-listen']);
  const opts: StartOptions = { configPath: configPath(values, io.env), env: io.env };
  if (values.listen) opts.listen = values.listen;
  if (values['admin-listen']) opts.adminListen = values['admin-listen'];
  if (values['data-dir'])
    opts.dataDir = isAbsolute(values['data-dir']) ? values['data-dir'] : resolve(values['data-dir']);
  if (values['log-level']) opts.logLevel = values['log-level'];
  if (values['no-watch']) opts.watch = false;
  // node:cluster workers sharing the listeners, limits exact through the primary (docs/cluster.md).
  if (values.workers !== undefined) return startWorkers(values.workers, opts, values['pid-file']);
  const removePidFile = values['pid-file'] ? await writePidFile(values['pid-file']) : undefined;
  try {
    const gw = await startGateway(opts);
    installLastResort(gw.log, 'gateway');
    await runUntilSignal(gw);
  } finally {
    await removePidFile?.();
  }
  return 0;
}

/** SIGHUP reloads; SIGTERM/SIGINT drain in-flight requests, then resolve. A second SIGINT exits at once. */
export function runUntilSignal(gw: Gateway, onStop?: () => Promise<void>): Promise<void> {
  return new Promise((resolveRun) => {
    const hup = () => void gw.reload('SIGHUP');
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        if (signal === 'SIGINT') process.exit(130);
        return;
      }
      stopping = true;
      gw.log.info({ signal, inflight: gw.inflight }, 'draining');
      void gw
        .close()
        .then(() => onStop?.())
        .then(() => {
          gw.log.info('stopped');
          process.off('SIGHUP', hup);
          resolveRun();
        });
    };
    process.on('SIGHUP', hup);
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

export function describeFailure(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  return `portico: ${(err as Error).message}`;
}
