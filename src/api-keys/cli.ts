import { parseCommandArgs, UsageError } from '../cli/args.js';
import { adminFetch, adminOptions, type Io, resolveAdmin } from '../cli/admin-client.js';
import { formatTable } from '../pipeline/route-table.js';

type Json = Record<string, unknown>;

const SUBCOMMANDS = ['create', 'list', 'show', 'disable', 'enable', 'delete', 'rotate', 'add-plan', 'remove-plan'];

/** Sends one admin request; prints the API's message and returns undefined when it refused. */
async function call(
  command: string,
  values: Parameters<typeof resolveAdmin>[0],
  io: Io,
  method: string,
  path: string,
  body?: unknown,
): Promise<Json | undefined> {
  const res = await adminFetch(await resolveAdmin(values, io), path, method, body);
  const json = (await res.json().catch(() => ({}))) as Json;
  if (!res.ok) {
    io.err(`portico ${command}: ${(json.message as string | undefined) ?? `HTTP ${res.status}`}`);
    return undefined;
  }
  return json;
}

function describeKey(k: Json): string {
  const plans = (k.plans as string[]).length ? (k.plans as string[]).join(', ') : '(none)';
  return [
    `id:          ${k.id}`,
    `name:        ${k.name}`,
    `enabled:     ${k.enabled}`,
    `plans:       ${plans}`,
    `expiresAt:   ${k.expiresAt ?? 'never'}`,
    `source:      ${k.source}`,
    `createdAt:   ${k.createdAt}`,
    `updatedAt:   ${k.updatedAt}`,
    ...(k.description ? [`description: ${k.description}`] : []),
  ].join('\n');
}

/** A key's value, which the admin API returns only once. */
function showValueOnce(io: Io, value: unknown, why = 'keep it somewhere safe'): void {
  io.out(`value:       ${String(value)}`);
  io.out(`The value is shown only now; ${why}.`);
}

const enc = encodeURIComponent;

/** The --json flag every keys subcommand takes. */
const json = { json: { type: 'boolean' } } as const;

/** `portico keys <subcommand>`: API keys through the running gateway's admin API. */
export async function keysCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  const cmd = `keys ${sub}`;
  const print = (k: Json, asJson: boolean | undefined) => io.out(asJson ? JSON.stringify(k, null, 2) : describeKey(k));
  switch (sub) {
    case 'create':
      return createKey(cmd, rest, io);
    case 'list':
      return listKeys(cmd, rest, io);
    case 'show':
    case 'disable':
    case 'enable':
    case 'delete': {
      const { values, positionals } = parseCommandArgs(cmd, rest, { ...adminOptions, ...json }, ['ID']);
      const id = enc(positionals[0] as string);
      const [method, path] =
        sub === 'show'
          ? ['GET', `/keys/${id}`]
          : sub === 'delete'
            ? ['DELETE', `/keys/${id}`]
            : ['POST', `/keys/${id}/${sub}`];
      const k = await call(cmd, values, io, method, path);
      if (!k) return 1;
      if (sub === 'show') {
        print(k, values.json);
        if (k.value !== undefined && !values.json)
          showValueOnce(io, k.value, 'keep it somewhere safe: the gateway generated it, and no later show prints it');
      } else
        io.out(
          values.json
            ? JSON.stringify(k, null, 2)
            : `${sub === 'delete' ? 'deleted' : `${sub}d`} API key ${k.id} "${k.name}"`,
        );
      return 0;
    }
    case 'rotate':
      return rotateKey(cmd, rest, io);
    case 'add-plan':
    case 'remove-plan': {
      const { values, positionals } = parseCommandArgs(cmd, rest, { ...adminOptions, ...json }, ['ID', 'PLAN']);
      const [id, plan] = positionals as [string, string];
      const k =
        sub === 'add-plan'
          ? await call(cmd, values, io, 'POST', `/keys/${enc(id)}/plans`, { plan })
          : await call(cmd, values, io, 'DELETE', `/keys/${enc(id)}/plans/${enc(plan)}`);
      if (!k) return 1;
      io.out(
        values.json
          ? JSON.stringify(k, null, 2)
          : `API key ${k.id} "${k.name}" is in plans: ${(k.plans as string[]).join(', ') || '(none)'}`,
      );
      return 0;
    }
    default:
      throw new UsageError(
        `portico keys: ${sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`} (${SUBCOMMANDS.join(', ')}; see 'portico keys --help')`,
      );
  }
}

async function createKey(cmd: string, rest: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(cmd, rest, {
    ...adminOptions,
    ...json,
    name: { type: 'string' },
    plan: { type: 'string', multiple: true },
    value: { type: 'string' },
    description: { type: 'string' },
    'expires-at': { type: 'string' },
    disabled: { type: 'boolean' },
  });
  if (!values.name) throw new UsageError("portico keys create: --name NAME is required (see 'portico keys --help')");
  const body: Json = { name: values.name, plans: values.plan ?? [] };
  if (values.value !== undefined) body.value = values.value;
  if (values.description !== undefined) body.description = values.description;
  if (values['expires-at'] !== undefined) body.expiresAt = values['expires-at'];
  if (values.disabled) body.enabled = false;
  const k = await call(cmd, values, io, 'POST', '/keys', body);
  if (!k) return 1;
  if (values.json) io.out(JSON.stringify(k, null, 2));
  else {
    io.out(describeKey(k));
    showValueOnce(io, k.value);
  }
  return 0;
}

async function listKeys(cmd: string, rest: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(cmd, rest, { ...adminOptions, ...json });
  const r = await call(cmd, values, io, 'GET', '/keys');
  if (!r) return 1;
  const items = r.items as Json[];
  if (values.json) io.out(JSON.stringify(items, null, 2));
  else if (!items.length) io.out('no API keys');
  else {
    const rows = items.map((k) => ({
      id: String(k.id),
      name: String(k.name),
      enabled: String(k.enabled),
      plans: (k.plans as string[]).join(',') || '-',
      expiresAt: String(k.expiresAt ?? '-'),
      createdAt: String(k.createdAt),
    }));
    io.out(formatTable(rows, ['id', 'name', 'enabled', 'plans', 'expiresAt', 'createdAt']));
    for (const k of items.filter((i) => i.valueNotShown === true))
      io.out(`${k.id}: its value was generated and not shown yet: portico keys show ${k.id} (once)`);
  }
  return 0;
}

async function rotateKey(cmd: string, rest: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(cmd, rest, { ...adminOptions, ...json, value: { type: 'string' } }, [
    'ID',
  ]);
  const k = await call(
    cmd,
    values,
    io,
    'POST',
    `/keys/${enc(positionals[0] as string)}/rotate`,
    values.value === undefined ? {} : { value: values.value },
  );
  if (!k) return 1;
  if (values.json) io.out(JSON.stringify(k, null, 2));
  else {
    io.out(`rotated API key ${k.id} "${k.name}"; the old value no longer works`);
    showValueOnce(io, k.value);
  }
  return 0;
}

/** `portico usage --key ID [--from DAY] [--to DAY]`: requests per UTC day. */
export async function usageCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('usage', argv, {
    ...adminOptions,
    key: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.key) throw new UsageError("portico usage: --key ID is required (see 'portico usage --help')");
  for (const f of ['from', 'to'] as const) {
    const v = values[f];
    if (v !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v))
      throw new UsageError(`portico usage: --${f} expects a day as YYYY-MM-DD, got "${v}"`);
  }
  const q = new URLSearchParams();
  if (values.from) q.set('from', values.from);
  if (values.to) q.set('to', values.to);
  const r = await call('usage', values, io, 'GET', `/keys/${enc(values.key)}/usage${q.size ? `?${q}` : ''}`);
  if (!r) return 1;
  if (values.json) {
    io.out(JSON.stringify(r, null, 2));
    return 0;
  }
  const items = r.items as Record<string, number>;
  io.out(`API key ${r.keyId} "${r.name}", ${r.from} to ${r.to}: ${r.total} request${r.total === 1 ? '' : 's'}`);
  const rows = Object.entries(items).map(([day, n]) => ({ day, requests: String(n) }));
  if (rows.length) io.out(formatTable(rows, ['day', 'requests']));
  return 0;
}
