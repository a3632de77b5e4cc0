import type { RequestContext } from '../pipeline/context.js';

/** The terminal phase: sends the request somewhere and streams the answer back to ctx.res. */
export interface Integration {
  readonly type: string;
  /** One line for `portico routes`, e.g. "http_proxy http://127.0.0.1:8081/{proxy}". */
  readonly description: string;
  invoke(ctx: RequestContext): void;
}
