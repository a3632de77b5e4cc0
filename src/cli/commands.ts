import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { resolveAdminToken } from '../admin/token.js';
import { ConfigError } from '../config/errors.js';
import { parseListen } from '../config/listen.js';
import { type LoadedConfig, loadConfigFile } from '../config/load.js';
import { type Gateway, type StartOptions, startGateway } from '../gateway.js';
import { createLogger } from '../logger.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { formatTable, routeRows } from '../pipeline/route-table.js';
import { compileSnapshot, type Snapshot } from '../pipeline/snapshot.js';
import { PoolRegistry } from '../forward/pools.js';
import { parseCommandArgs, UsageError } from './args.js';
import { startWorkers } from '../cluster/start.js';
import { installLastResort } from './last-resort.js';

import type { Io } from '../kernel/cli.js';

export type { Io };

const configOption = { config: { type: 'string', short: 'c' } } as const;

function configPath(values: { config?: string | undefined }, env: NodeJS.ProcessEnv): string {
  return values.config ?? env.PORTICO_CONFIG ?? 'portico.yaml';
}

function checkListen(command: string, flag: string, value: string | undefined): void {
  if (value === undefined) return;
  try {
    parseListen(value);
  } catch (err) {
    throw new UsageError(`portico ${command}: --${flag} ${(err as Error).message}`);
  }
}

/** Loads and compiles without listening; pools are created lazily, so nothing connects. */
async function compileFile(file: string, env: NodeJS.ProcessEnv): Promise<{ loaded: LoadedConfig; snapshot: Snapshot }> {
  const loaded = await loadConfigFile(file, env);
  const pools = new PoolRegistry();
  try {
    return { loaded, snapshot: compileSnapshot(loaded, { runtime: createRuntimeDeps({ pools, log: createLogger('silent') }), revision: 1 }) };
  } finally {
    await pools.close();
  }
}

export async function validateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('validate', argv, configOption);
  const { loaded, snapshot } = await compileFile(configPath(values, io.env), io.env);
  const routes = snapshot.apis.reduce((n, a) => n + a.routes.length, 0);
  for (const w of loaded.warnings) io.err(`warning: ${w}`);
  io.out(`${loaded.file}: ok (${snapshot.apis.length} API${snapshot.apis.length === 1 ? '' : 's'}, ${routes} route${routes === 1 ? '' : 's'})`);
  return 0;
}

export async function routesCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('routes', argv, { ...configOption, json: { type: 'boolean' } });
  const { snapshot } = await compileFile(configPath(values, io.env), io.env);
  const rows = routeRows(snapshot);
  if (values.json) io.out(JSON.stringify(rows, null, 2));
  else io.out(formatTable(rows as unknown as Record<string, string>[], ['api', 'type', 'stage', 'method', 'path', 'integration']));
  return 0;
}

/** Flags that locate a running gateway's admin API: `portico reload` and every admin-backed command. */
export const adminOptions = {
  ...configOption,
  'data-dir': { type: 'string' },
  admin: { type: 'string' },
  token: { type: 'string' },
} as const;

export interface AdminEndpoint {
  adminUrl: string;
  token: string;
}

/**
 * The admin URL and token of a running gateway: --admin/--token, $PORTICO_ADMIN_TOKEN, else
 * <dataDir>/runtime.json and admin.token or <dataDir>/admin.token of its config file.
 */
export async function resolveAdmin(
  values: { config?: string | undefined; 'data-dir'?: string | undefined; admin?: string | undefined; token?: string | undefined },
  io: Io,
): Promise<AdminEndpoint> {
  let adminUrl = values.admin;
  let token = values.token ?? io.env.PORTICO_ADMIN_TOKEN;
  if (!adminUrl || !token) {
    const file = resolve(configPath(values, io.env));
    const loaded = await loadConfigFile(file, io.env);
    const dataDir = values['data-dir'] ? resolve(values['data-dir']) : resolve(loaded.dir, loaded.config.dataDir);
    if (!adminUrl) {
      const runtime = join(dataDir, 'runtime.json');
      try {
        adminUrl = (JSON.parse(await readFile(runtime, 'utf8')) as { adminUrl?: string }).adminUrl || undefined;
      } catch {
        throw new Error(`no running gateway found: cannot read ${runtime} (pass --admin URL)`);
      }
      if (!adminUrl) throw new Error(`the gateway using ${dataDir} has no admin listener (admin.enabled is false)`);
    }
    token ??= loaded.config.admin.token ?? (await resolveAdminToken(undefined, dataDir)).token;
  }
  return { adminUrl, token };
}

/** A request to the admin API with the bearer token (and a JSON body if given); an unreachable API or a rejected token is an Error saying so. */
export async function adminFetch(admin: AdminEndpoint, path: string, method: string, body?: unknown): Promise<Response> {
  let res: Response;
  const headers: Record<string, string> = { authorization: `Bearer ${admin.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    res = await fetch(new URL(path, admin.adminUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new Error(`cannot reach the admin API at ${admin.adminUrl}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  if (res.status === 401) throw new Error(`the admin API at ${admin.adminUrl} rejected the token`);
  return res;
}

export async function reloadCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('reload', argv, adminOptions);
  const admin = await resolveAdmin(values, io);
  const res = await adminFetch(admin, '/reload', 'POST');
  const body = (await res.json().catch(() => ({}))) as { ok?: boolean; changed?: boolean; revision?: number; error?: string; message?: string };
  if (!body.ok) {
    io.err(body.error ?? body.message ?? `reload failed with HTTP ${res.status}`);
    return 1;
  }
  io.out(body.changed ? `reloaded: now at revision ${body.revision}` : `unchanged: revision ${body.revision}`);
  return 0;
}

const listenOptions = {
  listen: { type: 'string' },
  'admin-listen': { type: 'string' },
} as const;

export async function startCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('start', argv, {
    ...configOption,
    ...listenOptions,
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
    'no-watch': { type: 'boolean' },
    workers: { type: 'string' },
  });
  checkListen('start', 'listen', values.listen);
  checkListen('start', 'admin-listen', values['admin-listen']);
  const opts: StartOptions = { configPath: configPath(values, io.env), env: io.env };
  if (values.listen) opts.listen = values.listen;
  if (values['admin-listen']) opts.adminListen = values['admin-listen'];
  if (values['data-dir']) opts.dataDir = isAbsolute(values['data-dir']) ? values['data-dir'] : resolve(values['data-dir']);
  if (values['log-level']) opts.logLevel = values['log-level'];
  if (values['no-watch']) opts.watch = false;
  // node:cluster workers sharing the listeners, limits exact through the primary (docs/cluster.md).
  if (values.workers !== undefined) return startWorkers(values.workers, opts);
  const gw = await startGateway(opts);
  installLastResort(gw.log, 'gateway');
  await runUntilSignal(gw);
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
