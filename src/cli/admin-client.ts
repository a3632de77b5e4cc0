import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveAdminToken } from '../admin/token.js';
import type { Io } from '../kernel/cli.js';

export type { Io };

/**
 * What commands that talk to a running gateway share (`portico reload`, and the features' `keys`,
 * `cache`, `upstreams`, `restart`): the flags that locate its admin API and an authenticated fetch.
 * It reads the config through `io.readConfig` (the CLI binds it to the root schema), so a feature's
 * command imports this file, never the composition root.
 */

export const configOption = { config: { type: 'string', short: 'c' } } as const;

export function configPath(values: { config?: string | undefined }, env: NodeJS.ProcessEnv): string {
  return values.config ?? env.PORTICO_CONFIG ?? 'portico.yaml';
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
  values: {
    config?: string | undefined;
    'data-dir'?: string | undefined;
    admin?: string | undefined;
    token?: string | undefined;
  },
  io: Io,
): Promise<AdminEndpoint> {
  let adminUrl = values.admin;
  let token = values.token ?? io.env.PORTICO_ADMIN_TOKEN;
  if (!adminUrl || !token) {
    const file = resolve(configPath(values, io.env));
    if (!io.readConfig) throw new Error('pass --admin URL and --token (no config reader in this context)');
    const loaded = await io.readConfig(file);
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
export async function adminFetch(
  admin: AdminEndpoint,
  path: string,
  method: string,
  body?: unknown,
): Promise<Response> {
  let res: Response;
  const headers: Record<string, string> = { authorization: `Bearer ${admin.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    res = await fetch(new URL(path, admin.adminUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(
      `cannot reach the admin API at ${admin.adminUrl}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
    );
  }
  if (res.status === 401) throw new Error(`the admin API at ${admin.adminUrl} rejected the token`);
  return res;
}
