import type { UsagePlanConfig } from './usage-plans/schema.js';
import { sharedStage } from './declared-keys.js';

// The checks of the key registry's operations (registry.ts), and the error they throw.

/** A caller mistake in a key operation; the admin API answers it with `status`. */
export class KeyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function parseExpiry(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
    throw new KeyError(400, 'expiresAt: expected an ISO 8601 time such as 2027-01-01T00:00:00Z');
  return new Date(Date.parse(v)).toISOString();
}

/** The plan must exist, and (as AWS) a key may be in only one plan per stage. */
export function checkPlan(
  plan: string,
  others: readonly string[],
  plans: Readonly<Record<string, UsagePlanConfig>>,
): void {
  const cfg = plans[plan];
  if (!cfg) {
    const known = Object.keys(plans);
    throw new KeyError(
      400,
      `unknown usage plan "${plan}"${known.length ? `; defined: ${known.join(', ')}` : '; none is defined under usagePlans'}`,
    );
  }
  for (const o of others) {
    const oc = plans[o];
    if (!oc) continue;
    const shared = sharedStage(cfg, oc);
    if (shared)
      throw new KeyError(
        409,
        `usage plans "${o}" and "${plan}" both cover ${shared}; a key may be in one plan per stage`,
      );
  }
}
