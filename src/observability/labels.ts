import type { RequestContext } from '../pipeline/context.js';

/** The labels and per-request series of the metrics service (metrics.ts): bounded by construction. */

/** Gateway response types that mean the caller was not let in. */
export const AUTH_FAILURES = new Set([
  'UNAUTHORIZED',
  'ACCESS_DENIED',
  'INVALID_API_KEY',
  'EXPIRED_TOKEN',
  'INVALID_SIGNATURE',
  'AUTHORIZER_FAILURE',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'MISSING_AUTHENTICATION_TOKEN',
]);

export type CacheEvent = 'hit' | 'miss' | 'eviction';
export type BreakerState = 'closed' | 'open' | 'half_open';
export const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2 };

export const ROUTE_LABELS = ['api', 'stage', 'route', 'method'] as const;

/** One request series' children, cached by label values so a request does no label hashing. */
export interface Series {
  requests: { inc(): void };
  latency: { observe(v: number): void };
  integration: { observe(v: number): void };
}

export interface SeriesAndTotals {
  series: Series;
  totals: Totals;
}

/** Per api/stage totals kept as plain numbers, for alarms. */
export interface Totals {
  count: number;
  c4xx: number;
  c5xx: number;
}

export function statusClass(status: number): string {
  return CLASS_LABELS[classIndex(status)] as string;
}

/** The status_class label by classIndex: 0 is "none" (no status), 1-5 are "1xx"-"5xx". */
export const CLASS_LABELS = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export function classIndex(status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
}

/** The route label: the template, "$default", or "" when no route matched. */
export function routeLabel(ctx: RequestContext): string {
  const r = ctx.route;
  if (!r) return '';
  return r.key.isDefault ? '$default' : r.key.path;
}
