import { Client, type Pool } from 'undici';
import { ForwardIntegration, type ForwardOptions } from '../forward/exchange.js';
import type { PoolRegistry } from '../forward/pools.js';
import type { RetryPolicy, Target, Upstream } from '../forward/upstream.js';
import type { UriTemplate } from '../forward/uri-template.js';
import type { RequestContext } from '../pipeline/context.js';

/** Where one request goes: an origin and the path+query to ask it for. */
export type TargetResolver = (ctx: RequestContext) => { origin: string; path: string };

export function uriTarget(template: UriTemplate): TargetResolver {
  return (ctx) => ({ origin: template.origin, path: uriPath(template, ctx) });
}

/** The URI template's path with the request's path parameters (a mapped path wins), then the query. */
function uriPath(t: UriTemplate, ctx: RequestContext): string {
  const path = ctx.upstreamPath ?? t.render(ctx.params);
  const q = ctx.upstreamQuery ?? ctx.rawQuery;
  return q ? `${path}${t.hasQuery ? '&' : '?'}${q}` : path;
}

/** No counted retries: only the one stale-socket retry every exchange has (forward/try.ts). */
const NO_RETRIES: RetryPolicy = { attempts: 0, statuses: [], backoffMs: 0, maxBackoffMs: 0, bufferBytes: 0 };

/**
 * The implicit upstream of one target a URI integration is: its URI's origin, with the URI's path
 * template. It adds nothing a URI route did not have: no balancer, health checks, outlier
 * ejection, breaker, retry budget or upstream metrics; its connections are the gateway's shared
 * pools by origin (forward/pools.ts: kept across reloads, closed when no route uses the origin,
 * counted in the pool gauges), and its uploads and slow readers share by origin.
 */
export class UriUpstream implements Upstream {
  readonly name: string;
  readonly shareKey: string;
  readonly retries = NO_RETRIES;
  readonly timeouts = {};
  readonly breaker = undefined;
  readonly budget = undefined;
  #target: Target;
  #template: UriTemplate;
  #pools: PoolRegistry;

  constructor(template: UriTemplate, pools: PoolRegistry) {
    this.name = template.origin;
    this.shareKey = template.origin;
    this.#target = { id: template.origin, origin: template.origin, hostHeader: undefined, inflight: 0 };
    this.#template = template;
    this.#pools = pools;
  }

  hashKey(): undefined {
    return undefined;
  }

  pick(): Target {
    return this.#target;
  }

  path(ctx: RequestContext): string {
    return uriPath(this.#template, ctx);
  }

  pool(): Pool {
    return this.#pools.get(this.#target.origin);
  }

  freshClient(): Client {
    return new Client(this.#target.origin, { pipelining: 1, connectTimeout: 10000 });
  }

  report(): void {}

  retried(): void {}
}

/** An http_proxy integration with a `uri`: the one forwarding path to a one-target upstream. */
export function uriIntegration(
  template: UriTemplate,
  uri: string,
  pools: PoolRegistry,
  opts: ForwardOptions,
): ForwardIntegration {
  const upstream = new UriUpstream(template, pools);
  return new ForwardIntegration(uri, () => upstream, opts);
}
