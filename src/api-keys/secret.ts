import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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

/** The AES-256-GCM key that seals generated values until they are shown: derived from the hash secret. */
function sealKey(secret: Buffer): Buffer {
  return createHmac('sha256', secret).update('portico generated api-key value seal').digest();
}

/**
 * A generated key value sealed for the store until `portico keys show` prints it once: AES-256-GCM under a key
 * derived from <dataDir>/api-key.secret, so the store alone reveals it no more than it reveals the hashes.
 */
export function sealValue(secret: Buffer, value: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  const body = Buffer.concat([c.update(value, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
}

/** The value sealValue sealed, or undefined if it was sealed under another secret or damaged. */
export function unsealValue(secret: Buffer, sealed: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64url');
  try {
    const d = createDecipheriv('aes-256-gcm', sealKey(secret), raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
