import type { RequestContext, Awaitable, Reply } from '../pipeline/context.js';

/** What a route adds to its authorizer: required scopes (JWT) and its execute-api ARN prefix. */
export interface RouteAuth {
  readonly scopes: readonly string[] | undefined;
  readonly arnPrefix: string;
}

/** One API authorizer, compiled once and shared by the routes that name it. */
export interface Authorizer {
  authorize(ctx: RequestContext, route: RouteAuth): Awaitable<Reply | undefined>;
}

const UNSAFE_VALUE = /[\r\n\0]/g;

/** Adds a header to the upstream request; CR, LF and NUL are stripped from the value. */
export function addUpstreamHeader(ctx: RequestContext, name: string, value: string): void {
  (ctx.upstreamHeaders ??= []).push([name, value.replace(UNSAFE_VALUE, '')]);
}

/** An authorizer context key as a header name suffix: lower-case, anything but [a-z0-9-] becomes "-". */
export function contextHeaderName(prefix: string, key: string): string {
  return `${prefix}${key}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}
