import type { IncomingMessage } from 'node:http';
import type { ConfigError } from '../config/errors.js';
import type { RuntimeDeps, Snapshot } from '../pipeline/context.js';

/**
 * The types of admin endpoints, which features declare in their manifests (src/<feature>/manifest.ts).
 * Kept apart from the server so a feature's routes do not import the server that serves them.
 */
export interface AdminTarget {
  readonly snapshot: Snapshot;
  readonly runtime: RuntimeDeps;
  status(): Record<string, unknown>;
  reload(reason: string): Promise<ReloadResult>;
  /** GET /readyz: whether this process should get traffic now, and why not. */
  readiness(): Promise<Readiness>;
}

/** The answer of GET /readyz: each check by name, and the first failing one's reason. */
export interface Readiness {
  ready: boolean;
  /** "config: ...", "store: ...": the first check that failed. */
  reason?: string;
  checks: Record<string, { ok: boolean; reason?: string } & Record<string, unknown>>;
}

export interface ReloadResult {
  ok: boolean;
  changed: boolean;
  revision: number;
  error?: string;
  issues?: ConfigError['issues'];
}

/** An admin API error with its status: thrown by handlers, answered as {"message": ...}. */
export class AdminError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface AdminRequest {
  req: IncomingMessage;
  target: AdminTarget;
  /** Values of `:name` segments of the route pattern. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (parsed on demand; 400 if it is not JSON). */
  body(): Promise<unknown>;
}

export interface AdminResponse {
  status?: number;
  body?: unknown;
  /** Text instead of JSON (e.g. Prometheus exposition). */
  text?: string;
  contentType?: string;
  /** Extra response headers (the dashboard's Content-Security-Policy, a redirect's Location). */
  headers?: Record<string, string>;
}

/** One admin endpoint: `GET /keys/:id`. Handlers return what to answer, or throw AdminError. */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** One line for the endpoint list. */
  description: string;
  /** Served without the bearer token (only for things like /metrics scrapes; off by default). A function reads the current config. */
  public?: boolean | ((target: AdminTarget) => boolean);
  /** Also served, without the token, on observability.metrics.listen (metrics and health only). */
  metricsListener?: boolean;
  handle(r: AdminRequest): Promise<AdminResponse> | AdminResponse;
}
