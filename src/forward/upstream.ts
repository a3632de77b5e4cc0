import type { Dispatcher } from 'undici';
import type { RequestContext } from '../pipeline/context.js';

/**
 * What the one forwarding path (exchange.ts, try.ts) asks of where a request goes. Two kinds exist:
 * a named upstream (src/upstream/runtime.ts: balancer, health, breaker, retries, DNS) and the
 * implicit one-target upstream of a URI integration (src/integrations/uri.ts: no balancer, no health
 * checks, no counted retries, the shared origin pools). Both go through the same exchange, so
 * streaming, retries and error mapping exist once.
 */
export interface Upstream<T extends Target = Target> {
  /** For error messages: the upstream's name, or the URI integration's origin. */
  readonly name: string;
  /** Key of the connection shares (held.ts) for streaming uploads and slow readers. */
  readonly shareKey: string;
  readonly retries: RetryPolicy;
  /** The upstream's own timeouts; a route's `timeouts` and `timeoutMs` fill in what is unset. */
  readonly timeouts: {
    readonly connectMs?: number | undefined;
    readonly firstByteMs?: number | undefined;
    readonly totalMs?: number | undefined;
  };
  readonly breaker: Breaker | undefined;
  readonly budget: RetryBudgetLike | undefined;
  /** The consistent-hash key of a request, if the balancer uses one. */
  hashKey(ctx: RequestContext): string | undefined;
  /** A target for a try, avoiding `exclude` (the ones tried) while others are left. */
  pick(hashKey: string | undefined, exclude: ReadonlySet<string> | undefined): T | undefined;
  /** The path and query to ask `target` for. */
  path(ctx: RequestContext, target: T): string;
  /** The keep-alive pool for a target. */
  pool(target: T, connectMs: number | undefined): Dispatcher;
  /** A one-request connection, for the retry after a stale keep-alive reset; closed by the caller. */
  freshClient(target: T, connectMs: number | undefined): Dispatcher;
  /** The end of one try on a target: passive health, breaker, latency. */
  report(target: T, outcome: 'success' | 'failure', latencyMs: number): void;
  /** A failed try is being retried (counted in metrics). */
  retried(target: T): void;
}

/** One place a try goes. */
export interface Target {
  readonly id: string;
  /** Origin dispatched to. */
  readonly origin: string;
  /** Host header to send when the origin is an address. */
  readonly hostHeader: string | undefined;
  inflight: number;
}

export interface RetryPolicy {
  /** Counted retries after the first try (the stale-socket retry is not counted). */
  readonly attempts: number;
  readonly statuses: readonly number[];
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Bodies up to this size are read whole so a retry can send them again. */
  readonly bufferBytes: number;
}

export interface Breaker {
  admit(): 'pass' | 'probe' | 'reject';
  retryAfterMs(): number;
  allowsRetry(): boolean;
  probeDone(recorded: boolean): void;
}

export interface RetryBudgetLike {
  onRequest(): void;
  tryRetry(): boolean;
}

/** RFC 9110 §9.2.2 idempotent methods: the only ones retried unless a route opts in. */
export const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
