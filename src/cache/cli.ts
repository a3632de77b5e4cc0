import { parseCommandArgs, UsageError } from '../cli/args.js';
import { adminFetch, adminOptions, type Io, resolveAdmin } from '../cli/admin-client.js';
import { formatTable } from '../pipeline/route-table.js';

/** `portico cache flush|stats`: the admin API's /cache endpoints, found the way `portico reload` finds them. */
export async function cacheCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'flush') return flush(rest, io);
  if (sub === 'stats') return stats(rest, io);
  throw new UsageError(
    `portico cache: ${sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`} (flush, stats; see 'portico cache --help')`,
  );
}

async function flush(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('cache flush', argv, {
    ...adminOptions,
    api: { type: 'string' },
    stage: { type: 'string' },
    route: { type: 'string' },
    'key-prefix': { type: 'string' },
  });
  if (!values.api) throw new UsageError("portico cache flush: --api NAME is required (see 'portico cache --help')");
  if (!values.stage) throw new UsageError("portico cache flush: --stage NAME is required (see 'portico cache --help')");
  const q = new URLSearchParams();
  if (values.route !== undefined) q.set('route', values.route);
  if (values['key-prefix'] !== undefined) q.set('keyPrefix', values['key-prefix']);
  const path = `/cache/${encodeURIComponent(values.api)}/${encodeURIComponent(values.stage)}${q.size ? `?${q}` : ''}`;
  const res = await adminFetch(await resolveAdmin(values, io), path, 'DELETE');
  const body = (await res.json().catch(() => ({}))) as { flushed?: number; message?: string };
  if (!res.ok) {
    io.err(`portico cache flush: ${body.message ?? `HTTP ${res.status}`}`);
    return 1;
  }
  const what = values.route ? ` route ${values.route}` : '';
  const prefix = values['key-prefix'] ? ` keys starting "${values['key-prefix']}"` : '';
  io.out(
    `flushed ${body.flushed} entr${body.flushed === 1 ? 'y' : 'ies'} from ${values.api}/${values.stage}${what}${prefix}`,
  );
  return 0;
}

async function stats(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('cache stats', argv, { ...adminOptions, json: { type: 'boolean' } });
  const res = await adminFetch(await resolveAdmin(values, io), '/cache', 'GET');
  const body = (await res.json().catch(() => ({}))) as { stages?: Record<string, unknown>[]; message?: string };
  if (!res.ok || !body.stages) {
    io.err(`portico cache stats: ${body.message ?? `HTTP ${res.status}`}`);
    return 1;
  }
  if (values.json) io.out(JSON.stringify(body.stages, null, 2));
  else {
    const rows = body.stages.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, String(v)])));
    io.out(
      rows.length
        ? formatTable(rows, [
            'api',
            'stage',
            'entries',
            'bytes',
            'capacityBytes',
            'hits',
            'misses',
            'stale',
            'bypass',
            'coalesced',
            'evictions',
          ])
        : 'no stage cache has been used yet',
    );
  }
  return 0;
}
