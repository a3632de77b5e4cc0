import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const KEY_SECRET_FILE = 'api-key.secret';

/**
 * The secret of the keyed hash under which API keys are stored: <dataDir>/api-key.secret, created
 * on first start (mode 0600). Without it the stored hashes cannot be matched, nor guessed offline.
 */
export async function loadKeySecret(dataDir: string): Promise<Buffer> {
  const file = join(dataDir, KEY_SECRET_FILE);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    const secret = Buffer.from(text, 'base64url');
    if (secret.length < 32) throw new Error(`${file} is damaged: expected at least 32 bytes of base64url`);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32);
  try {
    await writeFile(file, `${secret.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadKeySecret(dataDir);
    throw err;
  }
}

/** HMAC-SHA256 of a key value, hex. */
export function hashKey(secret: Buffer, value: string): string {
  return createHmac('sha256', secret).update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex hashes of equal length. */
export function hashesMatch(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** A new key value: 30 random bytes as base64url, 40 characters. */
export function generateKeyValue(): string {
  return randomBytes(30).toString('base64url');
}
