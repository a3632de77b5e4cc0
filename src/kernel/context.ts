import type { AccessPhase } from './lifecycle.js';

/**
 * What a gateway response is, as far as a policy needs to know (the catalogue is GATEWAY_ERRORS in
 * src/kernel/gateway-errors.ts; plugins get it as `gateway.errors`).
 */
export interface GatewayErrorLike {
  readonly code: string;
  readonly type: string;
  readonly status: number;
  readonly message: string;
}

/** Ends the request with a gateway response. */
export interface GatewayReply {
  error: GatewayErrorLike;
  /** Extra response headers (e.g. Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
}

/**
 * The narrow, typed face of one request that a policy sees (Kong's PDK is the anchor): it reads the
 * request and the route it matched, sets response headers and shares values with later phases. It
 * does not hand out the raw req/res. RequestContext implements it; plugin policies get nothing else.
 */
export interface GatewayContext {
  readonly requestId: string;
  readonly method: string;
  /** Path as received, before base path and stage are taken off (still URL-encoded). */
  readonly rawPath: string;
  /** Query string without "?", as received ("" if none). */
  readonly rawQuery: string;
  readonly clientIp: string;
  readonly host: string;
  readonly apiName: string;
  readonly stageName: string;
  /** "GET /pets/{id}", or "" before routing. */
  readonly routeKey: string;
  /** One request header (lower-case name), several values joined with ","; "" if absent. */
  header(name: string): string;
  /** One query string parameter, decoded; undefined if absent. */
  query(name: string): string | undefined;
  /** A path parameter of the matched route, decoded; undefined if absent. */
  pathParam(name: string): string | undefined;
  /** The whole request body, if a phase before has read it (body validation, functions); else undefined. */
  readonly body: Buffer | undefined;
  /** Adds a header to the response the client gets (upstream's or the gateway's). */
  setResponseHeader(name: string, value: string): void;
  /** Values shared between the phases of one request (per-request store; keys should be namespaced by feature). */
  readonly shared: Map<string, unknown>;
}

/** A policy as a feature or plugin writes it: bound to one access phase, against the narrow context. */
export interface PhasePolicy {
  readonly name: string;
  readonly phase: AccessPhase;
  /** undefined: go on; a GatewayReply: end the request with that gateway response. */
  access(ctx: GatewayContext): GatewayReply | undefined | Promise<GatewayReply | undefined>;
}
