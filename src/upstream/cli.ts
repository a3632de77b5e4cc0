import { parseArgs } from 'node:util';
import { UsageError } from '../cli/args.js';
import { type AdminEndpoint, adminFetch, type Io, resolveAdmin } from '../cli/admin-client.js';

const options = {
  config: { type: 'string', short: 'c' },
  'data-dir': { type: 'string' },
  admin: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = { config?: string; 'data-dir'?: string; admin?: string; token?: string; json?: boolean };

/** One admin API call through the CLI's shared discovery and fetch; a non-2xx answer is an Error with its message. */
async function call(admin: AdminEndpoint, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await adminFetch(admin, path, method, body);
  const out = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new Error(out.message ?? `admin API answered HTTP ${res.status}`);
  return out;
}

interface TargetRow {
  url: string;
  address: string | null;
  weight: number;
  effectiveWeight: number;
  drained: boolean;
  health: string;
  ejected: boolean;
  inflight: number;
  recent: { requests: number; errors: number; latencyMs: { p50: number; p99: number } | null };
}
interface UpstreamStatus {
  name: string;
  balancer: string;
  breaker: { state: string } | null;
  targets: TargetRow[];
}

function table(ups: UpstreamStatus[]): string {
  const rows: string[][] = [
    ['UPSTREAM', 'TARGET', 'ADDRESS', 'WEIGHT', 'STATE', 'INFLIGHT', 'RECENT', 'ERRORS', 'P50 MS', 'P99 MS'],
  ];
  for (const u of ups) {
    for (const t of u.targets) {
      const state = t.drained ? 'drained' : t.ejected ? 'ejected' : t.health;
      rows.push([
        `${u.name}${u.breaker && u.breaker.state !== 'closed' ? ` (breaker ${u.breaker.state})` : ''}`,
        t.url,
        t.address ?? '-',
        t.effectiveWeight === t.weight ? String(t.weight) : `${t.effectiveWeight}/${t.weight}`,
        state,
        String(t.inflight),
        String(t.recent.requests),
        String(t.recent.errors),
        t.recent.latencyMs ? String(t.recent.latencyMs.p50) : '-',
        t.recent.latencyMs ? String(t.recent.latencyMs.p99) : '-',
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * `portico upstreams`: status of a running gateway's upstreams, and runtime weight changes
 * (blue/green, canary) and drains through its admin API.
 */
export async function upstreamsCommand(argv: string[], io: Io): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true }) as {
      values: Values;
      positionals: string[];
    };
  } catch (err) {
    throw new UsageError(
      `portico upstreams: ${(err as Error).message.split('\n')[0]} (see 'portico upstreams --help')`,
    );
  }
  const { values } = parsed;
  const [sub = 'status', ...args] = parsed.positionals;
  const usage = (what: string) => new UsageError(`portico upstreams ${sub}: ${what} (see 'portico upstreams --help')`);
  if (sub === 'status') {
    if (args.length) throw usage(`unexpected argument ${args[0]}`);
    const admin = await resolveAdmin(values, io);
    const body = (await call(admin, 'GET', '/upstreams')) as { upstreams: UpstreamStatus[] };
    if (values.json) io.out(JSON.stringify(body.upstreams, null, 2));
    else io.out(body.upstreams.length ? table(body.upstreams) : 'no upstreams configured');
    return 0;
  }
  let name: string;
  let targets: { url: string; weight?: number; drained?: boolean }[];
  if (sub === 'weight') {
    const [n, ...pairs] = args;
    if (!n || pairs.length === 0) throw usage('expected NAME URL=WEIGHT [URL=WEIGHT ...]');
    name = n;
    targets = pairs.map((p) => {
      const eq = p.lastIndexOf('=');
      const w = Number(p.slice(eq + 1));
      if (eq <= 0 || p.slice(eq + 1) === '' || !Number.isInteger(w) || w < 0 || w > 1000)
        throw usage(`expected URL=WEIGHT with WEIGHT 0..1000, got "${p}"`);
      return { url: p.slice(0, eq), weight: w };
    });
  } else if (sub === 'drain' || sub === 'undrain') {
    if (args.length !== 2) throw usage('expected NAME URL');
    name = args[0] as string;
    targets = [{ url: args[1] as string, drained: sub === 'drain' }];
  } else {
    throw new UsageError(
      `portico upstreams: unknown subcommand "${sub}" (status, weight, drain, undrain; see 'portico upstreams --help')`,
    );
  }
  const admin = await resolveAdmin(values, io);
  const st = (await call(admin, 'PATCH', `/upstreams/${encodeURIComponent(name)}/targets`, {
    targets,
  })) as UpstreamStatus;
  io.out(values.json ? JSON.stringify(st, null, 2) : table([st]));
  return 0;
}

export const UPSTREAMS_HELP = `Usage: portico upstreams [status] [--json]
       portico upstreams weight NAME URL=WEIGHT [URL=WEIGHT ...]
       portico upstreams drain NAME URL
       portico upstreams undrain NAME URL

Shows a running gateway's upstreams (per target: weight, health, ejection, drain, in-flight,
recent requests, errors and latency) and changes target weights or drains a target at runtime,
through the admin API. Runtime weights last until a reload changes that target's configured weight.

Options:
  -c, --config FILE   Config file of the running gateway (default: $PORTICO_CONFIG or ./portico.yaml)
      --data-dir DIR  Its data directory (default from the config file)
      --admin URL     Admin API URL, e.g. http://127.0.0.1:9876
      --token TOKEN   Admin token (default: $PORTICO_ADMIN_TOKEN, admin.token or <dataDir>/admin.token)
      --json          Print JSON`;
