import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseCommandArgs, UsageError } from '../cli/args.js';
import { adminFetch, adminOptions, configPath, type Io, resolveAdmin } from '../cli/admin-client.js';
import { formatTable } from '../pipeline/route-table.js';
import { type ConfigDiff, formatDiff } from './diff.js';
import type { Deployment } from './types.js';

/**
 * `portico diff|apply|rollback|deployments|canary`: the admin API's deployment endpoints, found the
 * way `portico reload` finds them (docs/operations.md#deployments).
 */

interface Answer {
  ok?: boolean;
  message?: string;
  error?: string;
  diff?: ConfigDiff;
  deployment?: Deployment;
}

async function call(
  name: string,
  values: Parameters<typeof resolveAdmin>[0],
  io: Io,
  path: string,
  method: string,
  body?: unknown,
): Promise<Answer | undefined> {
  const res = await adminFetch(await resolveAdmin(values, io), path, method, body);
  const answer = (await res.json().catch(() => ({}))) as Answer;
  if (res.ok) return answer;
  io.err(`portico ${name}: ${answer.error ?? answer.message ?? `HTTP ${res.status}`}`);
  return undefined;
}

/** Reads the file to deploy (-c, $PORTICO_CONFIG, portico.yaml). */
async function fileText(values: { config?: string | undefined }, io: Io): Promise<{ file: string; text: string }> {
  const file = resolve(configPath(values, io.env));
  try {
    return { file, text: await readFile(file, 'utf8') };
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * `portico diff [-c FILE] [--json]`: what applying the file would change in the running config.
 * `portico diff --deployment ID [--against ID|previous]`: what deployment ID changes against the one
 * serving (or another), from the history (GET /deployments/ID/diff).
 */
export async function diffCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('diff', argv, {
    ...adminOptions,
    json: { type: 'boolean' },
    deployment: { type: 'string' },
    against: { type: 'string' },
  });
  if (values.against !== undefined && values.deployment === undefined)
    throw new UsageError("portico diff: --against needs --deployment ID (see 'portico diff --help')");
  let r: Answer | undefined;
  if (values.deployment !== undefined) {
    const query = values.against === undefined ? '' : `?against=${encodeURIComponent(values.against)}`;
    r = await call('diff', values, io, `/deployments/${encodeURIComponent(values.deployment)}/diff${query}`, 'GET');
  } else {
    const { file, text } = await fileText(values, io);
    r = await call('diff', values, io, '/deployments', 'POST', { config: text, file, dryRun: true });
  }
  if (!r?.diff) return 1;
  io.out(values.json ? JSON.stringify(r.diff, null, 2) : formatDiff(r.diff));
  return 0;
}

/** `portico apply [-c FILE] [--dry-run] [-m TEXT] [--canary PERCENT --stage API/STAGE] [--json]`. */
export async function applyCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('apply', argv, {
    ...adminOptions,
    'dry-run': { type: 'boolean' },
    message: { type: 'string', short: 'm' },
    canary: { type: 'string' },
    stage: { type: 'string' },
    json: { type: 'boolean' },
  });
  if ((values.canary === undefined) !== (values.stage === undefined))
    throw new UsageError(
      "portico apply: --canary PERCENT and --stage API/STAGE go together (see 'portico apply --help')",
    );
  const percent = values.canary === undefined ? undefined : Number(values.canary);
  if (percent !== undefined && !(percent >= 0 && percent <= 100))
    throw new UsageError(`portico apply: --canary expects a percentage from 0 to 100, got "${values.canary}"`);
  const { file, text } = await fileText(values, io);
  const r = await call('apply', values, io, '/deployments', 'POST', {
    config: text,
    file,
    dryRun: values['dry-run'] === true,
    description: values.message ?? '',
    ...(percent !== undefined ? { canary: { stage: values.stage, percentTraffic: percent } } : {}),
  });
  if (!r?.diff) return 1;
  if (values.json) io.out(JSON.stringify(r, null, 2));
  else {
    io.out(formatDiff(r.diff));
    if (!r.deployment) io.out('dry run: nothing deployed');
    else if (percent !== undefined)
      io.out(`deployment ${r.deployment.id} is the canary of ${values.stage} at ${percent}%`);
    else io.out(`deployment ${r.deployment.id} serves every stage`);
  }
  return 0;
}

/** `portico rollback [ID]`: every stage back to deployment ID, or to the one before the current. */
export async function rollbackCommand(argv: string[], io: Io): Promise<number> {
  const positional = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  const { values } = parseCommandArgs('rollback', positional ? argv.slice(1) : argv, adminOptions);
  let id = positional;
  if (id === undefined) {
    const list = (await call('rollback', values, io, '/deployments', 'GET')) as
      { deploymentId: number | null; deployments: Deployment[] } | undefined;
    if (!list) return 1;
    const before = list.deployments.find((d) => list.deploymentId !== null && d.id < list.deploymentId);
    if (!before) {
      io.err(`portico rollback: no deployment before ${list.deploymentId ?? '(none)'}`);
      return 1;
    }
    id = String(before.id);
  }
  const r = await call('rollback', values, io, `/deployments/${encodeURIComponent(id)}/rollback`, 'POST');
  if (!r?.deployment) return 1;
  io.out(
    `deployment ${r.deployment.id} serves every stage${r.deployment.description ? ` (${r.deployment.description})` : ''}`,
  );
  return 0;
}

/** `portico deployments [--json]`: the history, newest first, and each stage's deployment and canary. */
export async function deploymentsCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('deployments', argv, { ...adminOptions, json: { type: 'boolean' } });
  const r = (await call('deployments', values, io, '/deployments', 'GET')) as
    { deploymentId: number | null; stages: Record<string, unknown>[]; deployments: Deployment[] } | undefined;
  if (!r) return 1;
  if (values.json) {
    io.out(JSON.stringify(r, null, 2));
    return 0;
  }
  const rows = r.deployments.map((d) => ({
    id: `${d.id}${d.id === r.deploymentId ? ' *' : ''}`,
    createdAt: d.createdAt,
    source: d.source,
    hash: d.hash.slice(0, 12),
    description: d.description,
  }));
  io.out(formatTable(rows, ['id', 'createdAt', 'source', 'hash', 'description']));
  for (const s of r.stages) {
    const c = s.canarySettings as { deploymentId: number; percentTraffic: number } | undefined;
    if (c) io.out(`canary ${s.api}/${s.stage}: deployment ${c.deploymentId} at ${c.percentTraffic}%`);
  }
  return 0;
}

/** `portico canary set|promote|rollback API/STAGE`. */
export async function canaryCommand(argv: string[], io: Io): Promise<number> {
  const [sub, stage, ...rest] = argv;
  if (sub !== 'set' && sub !== 'promote' && sub !== 'rollback')
    throw new UsageError(
      `portico canary: ${sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`} (set, promote, rollback; see 'portico canary --help')`,
    );
  const m = stage === undefined ? null : /^([^/]+)\/([^/]+)$/.exec(stage);
  if (!m) throw new UsageError(`portico canary ${sub}: expected API/STAGE, got "${stage ?? ''}"`);
  const path = `/stages/${encodeURIComponent(m[1] as string)}/${encodeURIComponent(m[2] as string)}/canary`;
  if (sub === 'set') {
    const { values } = parseCommandArgs('canary set', rest, {
      ...adminOptions,
      deployment: { type: 'string' },
      percent: { type: 'string' },
    });
    if (!values.deployment || !values.percent)
      throw new UsageError('portico canary set: --deployment ID and --percent N are required');
    const r = await call('canary', values, io, path, 'PUT', {
      deploymentId: Number(values.deployment),
      percentTraffic: Number(values.percent),
    });
    if (!r) return 1;
    io.out(`canary of ${stage}: deployment ${values.deployment} at ${values.percent}%`);
    return 0;
  }
  const { values } = parseCommandArgs(`canary ${sub}`, rest, adminOptions);
  const r = await call(
    'canary',
    values,
    io,
    sub === 'promote' ? `${path}/promote` : path,
    sub === 'promote' ? 'POST' : 'DELETE',
  );
  if (!r) return 1;
  io.out(sub === 'promote' ? `canary of ${stage} promoted: it serves every stage` : `canary of ${stage} removed`);
  return 0;
}

const ADMIN_FLAGS = `  -c, --config FILE       Config file (default: $PORTICO_CONFIG or ./portico.yaml)
      --data-dir DIR      The running gateway's data directory (default from the config file)
      --admin URL         Admin API URL, e.g. http://127.0.0.1:9876
      --token TOKEN       Admin token`;

/** `portico help <command>` for the deployment commands. */
export const DEPLOYMENTS_HELP: Record<string, string> = {
  diff: `Usage: portico diff [-c FILE] [--json]
       portico diff --deployment ID [--against ID|previous] [--json]

What applying FILE would change in the running gateway: routes, stages, APIs, upstreams and the
other sections created, deleted or updated, with each changed field (secrets redacted). The file is
validated by the gateway (POST /deployments with dryRun); nothing changes. See docs/operations.md.
With --deployment, the same diff between two recorded deployments: what deployment ID changes
against the one every stage serves (what \`portico rollback ID\` would change), or against
--against ID, or the deployment recorded before it (--against previous).

Options:
      --deployment ID     Diff a recorded deployment instead of FILE
      --against ID        With --deployment: compare with deployment ID, or "previous" (default: the serving one)
      --json              Print the diff as JSON
${ADMIN_FLAGS}`,
  apply: `Usage: portico apply [-c FILE] [--dry-run] [-m TEXT] [--canary PERCENT --stage API/STAGE] [--json]

Validates FILE in the running gateway and makes it a new deployment that every stage (and every
node sharing the store) serves; prints the diff. An invalid config is refused with its errors and
nothing changes. With --canary, the deployment serves PERCENT of one stage's requests instead
(\`portico canary promote|rollback\` ends it).

Options:
      --dry-run           Validate and print the diff only
  -m, --message TEXT      The deployment's description
      --canary PERCENT    Make it a canary of --stage at PERCENT (0-100)
      --stage API/STAGE   The canary's stage, e.g. shop/prod
      --json              Print JSON
${ADMIN_FLAGS}`,
  rollback: `Usage: portico rollback [ID]

Every stage serves deployment ID again (default: the deployment before the current one); canaries
end. No new deployment is recorded: the stages point at an old one (AWS's stage deploymentId).

Options:
${ADMIN_FLAGS}`,
  deployments: `Usage: portico deployments [--json]

The deployment history, newest first (* marks the one the stages serve), and each stage canary.

Options:
      --json              Print JSON (stages with deploymentId and canarySettings, deployments)
${ADMIN_FLAGS}`,
  canary: `Usage: portico canary set API/STAGE --deployment ID --percent N
       portico canary promote API/STAGE
       portico canary rollback API/STAGE

A stage canary (AWS canarySettings): N percent of the stage's requests, chosen at random per
request, are served by deployment ID. promote makes it the deployment of every stage; rollback
removes it. Access logs show deploymentId and isCanaryRequest.

Options:
${ADMIN_FLAGS}`,
};
