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
  const token = randomBytes(32).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, source: file };
}

/** Constant-time comparison of a presented bearer token (hashing makes the lengths equal). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  const a = createHash('sha256')
    .update(presented ?? '')
    .digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented !== undefined;
}
