import { rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

/**
 * `portico start --pid-file FILE`: the pid of the process that takes the signals (the primary with
 * `--workers`), for logrotate's `kill -USR1 $(cat FILE)`. Written whole (a temporary file renamed),
 * so a reader never sees it half written. Returns the function that removes it at exit.
 */
export async function writePidFile(path: string): Promise<() => Promise<void>> {
  const file = isAbsolute(path) ? path : resolve(path);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${process.pid}\n`);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`cannot write the pid file ${file}: ${(err as Error).message}`);
  }
  return () => rm(file, { force: true });
}
