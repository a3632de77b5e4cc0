/** The time decisions of ACME, pure so tests decide them with any clock. */

const DAY_MS = 86_400_000;

/** When a certificate valid until `notAfterMs` should be renewed: renewBeforeDays earlier. */
export function renewAt(notAfterMs: number, renewBeforeDays: number): number {
  return notAfterMs - renewBeforeDays * DAY_MS;
}

/** What to do for a domain now: use the stored certificate as is, or order (none, or it is due). */
export function renewalDecision(
  stored: { notAfter: number } | undefined,
  nowMs: number,
  renewBeforeDays: number,
): 'order' | 'keep' {
  if (!stored) return 'order';
  return nowMs >= renewAt(stored.notAfter, renewBeforeDays) ? 'order' : 'keep';
}

/** Usable for serving: inside its validity. */
export function servable(stored: { notAfter: number }, nowMs: number): boolean {
  return nowMs < stored.notAfter;
}

/** Delay before retry n (1, 2, ...) after failures: doubling from minMs, capped at maxMs. */
export function backoffMs(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
}
