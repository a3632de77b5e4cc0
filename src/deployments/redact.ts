/** Secrets out of a config before the admin API shows it (GET /config, diffs). */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear: admin.token, JWT secrets, passwords in store options, ... */
const SECRET_KEY = /token|secret|password|passphrase|credential|private.?key|authorization|cookie/i;

/** A copy of a config value with secret fields replaced by "[redacted]", and passwords in URLs too. */
export function redact(value: unknown, key = '', parent = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, key, parent));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, key);
    return out;
  }
  if (value === undefined || value === null || typeof value === 'boolean') return value;
  // Declared API keys: `apiKeys: [{name, value}]`.
  if (SECRET_KEY.test(key) || (key === 'value' && parent === 'apiKeys')) return REDACTED;
  if (typeof value === 'string') return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/i, `$1:${REDACTED}@`);
  return value;
}
