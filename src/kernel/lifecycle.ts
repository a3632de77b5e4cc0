/**
 * The one list of lifecycle phases a request and its response go through, in order (fastify's
 * lifecycle is the anchor; docs/architecture.md#the-lifecycle). Every feature hook is bound to one
 * of them. One convention for all: a hook returns nothing (`undefined`, or `false` where a boolean
 * is asked for) to continue, and anything else stops the request there: a Reply (a gateway
 * response) or `true` (the hook answered the request itself).
 *
 * Where each phase runs today:
 * - onRequest        request id, trace context, client IP (server/handler.ts, observability)
 * - preRoute         per API stage, before routing: WAF, CORS preflight (ApiHookFactory.preRoute)
 * - route            mount + route match (router/, core)
 * - resourcePolicy … transform: the access phases of a route (pipeline/phases.ts, PolicyFactory)
 * - integration      http_proxy | upstream | function | mock (core + upstreams/functions)
 * - onResponseHeaders every response's head, upstream's and gateway's (ResponseHeaderHook: CORS)
 * - onResponse       the integration's response while it streams (ResponseObserver: cache store)
 * - onClientClose    the client connection closed (clientCloseHook: abort the upstream request)
 * - onDone           after the response finished or the connection closed (RuntimeDeps.requestDone: logs, metrics)
 */
/** The phases a route's policies bind to, one each, in run order (between route and integration). */
export const ACCESS_PHASES = [
  'resourcePolicy',
  'authorizer',
  'apiKey',
  'throttle',
  'quota',
  'validation',
  'cache',
  'transform',
] as const;

export const LIFECYCLE = [
  'onRequest',
  'preRoute',
  'route',
  // The access phases: a route's policies, one phase each (pipeline/phases.ts).
  ...ACCESS_PHASES,
  'integration',
  'onResponseHeaders',
  'onResponse',
  'onClientClose',
  'onDone',
] as const;
export type LifecyclePhase = (typeof LIFECYCLE)[number];

export type AccessPhase = (typeof ACCESS_PHASES)[number];

/** What a hook returns: continue (undefined/false) or stop (a Reply, or true when the hook answered itself). */
export type HookResult<R> = R | boolean | undefined;

/** True when a hook's result means "go on to the next hook". */
export function continues(r: unknown): r is undefined | false {
  return r === undefined || r === false;
}
