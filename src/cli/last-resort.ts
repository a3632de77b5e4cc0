import type { Logger } from '../logger.js';

let installed = false;

/**
 * The process-level last resort of `portico start` (docs/security.md, "Containment"). Every listener
 * contains the errors of its requests; what reaches here escaped every boundary, so the process
 * state is not known to be sound (Node: "it is not safe to resume normal operation after
 * 'uncaughtException'"). It is logged with pino (synchronous, so the line is written) and the
 * process exits 1: under `--workers` the primary forks a replacement for a worker that exits, and a
 * single process relies on its supervisor (systemd Restart=, Docker restart policy). An unhandled
 * rejection is treated the same, as Node 20 does by default.
 */
export function installLastResort(log: Logger, role: 'gateway' | 'worker' | 'primary'): void {
  if (installed) return;
  installed = true;
  const die = (kind: string) => (err: unknown) => {
    try {
      log.fatal(
        { err, role, pid: process.pid },
        `${kind}: exiting (${role === 'worker' ? 'the primary starts another worker' : 'the supervisor restarts it'})`,
      );
    } finally {
      process.exit(1);
    }
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled promise rejection'));
}
