import { parseCommandArgs } from '../cli/args.js';
import { adminFetch, adminOptions, type Io, resolveAdmin } from '../cli/admin-client.js';

/** `portico restart`: asks a gateway started with --workers for a rolling restart of its workers. */
export async function restartCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('restart', argv, adminOptions);
  const admin = await resolveAdmin(values, io);
  const res = await adminFetch(admin, '/cluster/restart', 'POST');
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (res.status !== 202) {
    io.err(body.message ?? `restart failed with HTTP ${res.status}`);
    return 1;
  }
  io.out('rolling restart started: workers are replaced one at a time');
  return 0;
}
