import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import type { RequestContext, Reply, RuntimeDeps } from '../pipeline/context.js';
import { methodArn } from '../pipeline/arn.js';
import type { ResultCache } from './cache.js';
import { type IdentitySource, readIdentitySource } from './identity-source.js';
import { type AuthorizerOutput, evaluatePolicy, parseAuthorizerOutput, requestEvent, tokenEvent } from './lambda.js';
import { FunctionLoadError, type FunctionInvoker } from './function.js';
import { type HttpAuthorizerCall, HttpAuthorizerError } from './http.js';
import { addUpstreamHeader, type Authorizer, contextHeaderName, type RouteAuth } from './types.js';

/** What a custom authorizer decided, as cached. Errors and "Unauthorized" are not cached. */
export type Outcome =
  | AuthorizerOutput
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly principalId?: string;
      readonly context: Readonly<Record<string, string>>;
      readonly usageIdentifierKey?: string;
      readonly headers: readonly (readonly [string, string])[];
    };

class UnauthorizedSignal extends Error {}

export interface CustomAuthorizerOptions {
  name: string;
  sources: readonly IdentitySource[];
  /** TOKEN authorizers: the token must match, else 401 without invoking. */
  validation?: RegExp;
  ttlMs: number;
  cache: () => ResultCache<Outcome>;
  forwardContext: boolean;
  contextHeaderPrefix: string;
  deps: RuntimeDeps;
  call: (ctx: RequestContext, arn: string, values: readonly string[]) => Promise<Outcome>;
}

/**
 * Function and HTTP authorizers: identity sources (missing → 401 without invoking), the result cache keyed by their
 * values, and turning a result into allow / 401 / 403 / 500. A cached IAM policy is evaluated against each request's
 * method ARN, as AWS does (so a policy cached on one route may deny another).
 */
export class CustomAuthorizer implements Authorizer {
  readonly #o: CustomAuthorizerOptions;

  constructor(o: CustomAuthorizerOptions) {
    this.#o = o;
  }

  authorize(ctx: RequestContext, route: RouteAuth): Promise<Reply | undefined> | Reply | undefined {
    const o = this.#o;
    const values: string[] = [];
    for (const s of o.sources) {
      const v = readIdentitySource(ctx, s);
      if (v === undefined) return { error: GATEWAY_ERRORS.UNAUTHORIZED };
      values.push(v);
    }
    if (o.validation && !o.validation.test(values[0] ?? '')) return { error: GATEWAY_ERRORS.UNAUTHORIZED };
    const arn = methodArn(route.arnPrefix, ctx);
    const key = o.ttlMs > 0 && values.length ? values.join('\0') : undefined;
    const cached = key === undefined ? undefined : o.cache().get(key);
    if (cached) return this.#apply(ctx, cached, arn);
    // A result another node cached (Redis store), for the time it has left; else ask the authorizer.
    const shared = key === undefined ? undefined : o.cache().shared;
    if (shared && key !== undefined) {
      return shared.get(key).then((hit) => {
        if (!hit) return this.#invoke(ctx, arn, values, key);
        o.cache().set(key, hit.value, hit.ttlMs);
        return this.#apply(ctx, hit.value, arn);
      });
    }
    return this.#invoke(ctx, arn, values, key);
  }

  #invoke(
    ctx: RequestContext,
    arn: string,
    values: readonly string[],
    key: string | undefined,
  ): Promise<Reply | undefined> {
    const o = this.#o;
    return o.call(ctx, arn, values).then(
      (outcome) => {
        if (key !== undefined) {
          o.cache().set(key, outcome, o.ttlMs);
          o.cache().shared?.set(key, outcome, o.ttlMs);
        }
        return this.#apply(ctx, outcome, arn);
      },
      (err: unknown) => this.#failed(ctx, err),
    );
  }

  #apply(ctx: RequestContext, r: Outcome, arn: string): Reply | undefined {
    if (r.kind === 'policy') {
      const verdict = evaluatePolicy(r.statements, arn);
      if (verdict === 'deny') return { error: GATEWAY_ERRORS.AUTHORIZER_DENY };
      if (verdict === 'implicitDeny') return { error: GATEWAY_ERRORS.AUTHORIZER_NOT_ALLOWED };
    } else if (r.kind === 'simple') {
      if (!r.isAuthorized) return { error: GATEWAY_ERRORS.AUTHORIZER_FORBIDDEN };
    } else {
      if (r.status === 401) return { error: GATEWAY_ERRORS.UNAUTHORIZED };
      if (r.status === 403) return { error: GATEWAY_ERRORS.AUTHORIZER_DENY };
      for (const [name, value] of r.headers) addUpstreamHeader(ctx, name, value);
    }
    const id = ctx.identity;
    if (r.kind !== 'simple' && r.principalId !== undefined) id.principalId = r.principalId;
    if (r.kind !== 'simple' && r.usageIdentifierKey !== undefined) id.usageIdentifierKey = r.usageIdentifierKey;
    id.authorizerContext = r.context;
    if (this.#o.forwardContext)
      for (const [k, v] of Object.entries(r.context))
        addUpstreamHeader(ctx, contextHeaderName(this.#o.contextHeaderPrefix, k), v);
    return undefined;
  }

  #failed(ctx: RequestContext, err: unknown): Reply {
    if (err instanceof UnauthorizedSignal) return { error: GATEWAY_ERRORS.UNAUTHORIZED };
    const log = this.#o.deps.log;
    const where = { authorizer: this.#o.name, requestId: ctx.requestId };
    if (err instanceof FunctionLoadError || err instanceof InvalidOutputError) {
      log.error({ ...where, err }, 'authorizer misconfigured');
      return { error: GATEWAY_ERRORS.AUTHORIZER_CONFIGURATION_ERROR };
    }
    log.warn({ ...where, err }, 'authorizer failed');
    return { error: GATEWAY_ERRORS.AUTHORIZER_FAILURE };
  }
}

export class InvalidOutputError extends Error {}

/** A function authorizer's call: the Lambda event in, a checked result out; `Unauthorized` thrown → 401. */
export function functionCall(invoker: FunctionInvoker, eventType: 'TOKEN' | 'REQUEST', timeoutMs: number) {
  return async (ctx: RequestContext, arn: string, values: readonly string[]): Promise<Outcome> => {
    const event = eventType === 'TOKEN' ? tokenEvent(values[0] ?? '', arn) : requestEvent(ctx, arn);
    let result: unknown;
    try {
      result = await invoker.invoke(event, { timeoutMs, requestId: ctx.requestId });
    } catch (err) {
      // Lambda's convention: the error message "Unauthorized" (thrown, or passed to the callback) means 401.
      const message = err instanceof Error ? err.message : typeof err === 'string' ? err : undefined;
      if (message === 'Unauthorized') throw new UnauthorizedSignal();
      throw err;
    }
    const out = parseAuthorizerOutput(result);
    if (typeof out === 'string') throw new InvalidOutputError(`invalid authorizer result: ${out}`);
    return out;
  };
}

/** An HTTP authorizer's call; 401/403 are outcomes (cached like a Deny), 5xx and transport errors are failures. */
export function httpCall(call: HttpAuthorizerCall) {
  return async (ctx: RequestContext, _arn: string, values: readonly string[]): Promise<Outcome> => {
    const r = await call(ctx, values);
    if (r.status >= 200 && r.status < 300) return r;
    if (r.status === 401) throw new UnauthorizedSignal();
    if (r.status === 403) return r;
    throw new HttpAuthorizerError(`authorizer answered ${r.status}`);
  };
}
