import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TOKEN_FILE = 'admin.token';

/** The configured token, else the one kept in <dataDir>/admin.token, else a new one written there (0600). */
export async function resolveAdminToken(
  configured: string | undefined,
  dataDir: string,
): Promise<{ token: string; source: string }> {
  if (configured) return { token: configured, source: 'config admin.token' };
  const file = join(dataDir, TOKEN_FILE);
  try {
    const t = (await readFile(file, 'utf8')).trim();
    if (t.length >= 16) return { token: t, source: file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = newToken();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, source: file };
}

/**
 * A new admin token: 32 random bytes, base64url. One that starts with `-` is drawn again: a CLI reads
 * `--token -x…` as a missing value (parseArgs: "argument is ambiguous"), 1 draw in 32.
 */
export function newToken(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const token = random(32).toString('base64url');
    if (!token.startsWith('-')) return token;
  }
}

/** Constant-time comparison of a presented bearer token (hashing makes the lengths equal). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  const a = createHash('sha256')
    .update(presented ?? '')
    .digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented !== undefined;
}
