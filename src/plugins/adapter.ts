import type { Feature } from '../feature.js';
import { GATEWAY_ERRORS, type GatewayErrorDef, GATEWAY_RESPONSE_TYPES } from '../kernel/gateway-errors.js';
import type { GatewayContext, GatewayReply, PhasePolicy } from '../kernel/context.js';
import type { Logger } from '../logger.js';
import type { RequestContext, Policy, Reply } from '../pipeline/context.js';
import type { PolicyFactory } from '../pipeline/policy.js';

/**
 * A loaded plugin as a Feature: each of its PhasePolicies becomes a PolicyFactory of the core, bound to
 * the plugin's phase and, with `apis`, to those APIs only. The policy sees a PluginContext (the narrow
 * GatewayContext, nothing else); what it returns, throws or rejects is turned into the core's Reply
 * here, so a plugin bug answers 500 for that request and never reaches the request path.
 */
export function pluginFeature(
  name: string,
  policies: readonly PhasePolicy[],
  apis: readonly string[] | undefined,
  metrics: Feature['metrics'],
  log: Logger,
): Feature {
  const only = apis ? new Set(apis) : undefined;
  const factories: PolicyFactory[] = policies.map((p) => {
    const policy = new PluginPolicy(name, p, log);
    return {
      name: policy.name,
      phase: p.phase,
      create: (scope) => (only && !only.has(scope.api.name) ? undefined : policy),
    };
  });
  return { name: `plugin:${name}`, policies: factories, ...(metrics ? { metrics } : {}) };
}

const CATALOGUE: ReadonlySet<object> = new Set(Object.values(GATEWAY_ERRORS));
const REPLY_TYPES: ReadonlySet<string> = new Set(GATEWAY_RESPONSE_TYPES.filter((t) => !t.startsWith('DEFAULT_')));
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;

class PluginPolicy implements Policy {
  readonly name: string;
  readonly phase: PhasePolicy['phase'];
  readonly #plugin: string;
  readonly #policy: PhasePolicy;
  readonly #log: Logger;
  /** Plugin-made error objects (not from the catalogue), checked once each. */
  readonly #custom = new WeakMap<object, GatewayErrorDef | string>();

  constructor(plugin: string, policy: PhasePolicy, log: Logger) {
    this.#plugin = plugin;
    this.#policy = policy;
    this.#log = log;
    this.name = `plugin:${plugin}:${policy.name}`;
    this.phase = policy.phase;
  }

  access(ctx: RequestContext): Reply | undefined | Promise<Reply | undefined> {
    let r: ReturnType<PhasePolicy['access']>;
    try {
      r = this.#policy.access(new PluginContext(ctx));
    } catch (err) {
      return this.#failed(ctx, err);
    }
    if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
      return Promise.resolve(r).then(
        (v) => this.#result(ctx, v),
        (err: unknown) => this.#failed(ctx, err),
      );
    }
    return this.#result(ctx, r as GatewayReply | undefined);
  }

  #result(ctx: RequestContext, r: GatewayReply | undefined | null | false): Reply | undefined {
    if (r === undefined || r === null || r === false) return undefined;
    const checked = this.#reply(r);
    return typeof checked === 'string' ? this.#failed(ctx, new Error(checked)) : checked;
  }

  /** The plugin's GatewayReply as the core's Reply, or why it is not one. */
  #reply(r: unknown): Reply | string {
    if (typeof r !== 'object' || r === null) return `returned ${typeof r}; expected undefined or { error, headers? }`;
    const { error, headers } = r as { error?: unknown; headers?: unknown };
    const def = this.#error(error);
    if (typeof def === 'string') return def;
    if (headers === undefined) return { error: def };
    if (typeof headers !== 'object' || headers === null) return 'reply headers must be a mapping of name to string';
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (!HEADER_NAME.test(k) || typeof v !== 'string' || BAD_VALUE.test(v))
        return `invalid reply header ${JSON.stringify(k)}`;
      out[k.toLowerCase()] = v;
    }
    return { error: def, headers: out };
  }

  /** A catalogue entry as is; a plugin's own { type, status, message, code? } checked once and kept. */
  #error(e: unknown): GatewayErrorDef | string {
    if (typeof e !== 'object' || e === null) return 'reply without an error (use gateway.errors.X)';
    if (CATALOGUE.has(e)) return e as GatewayErrorDef;
    const known = this.#custom.get(e);
    if (known !== undefined) return known;
    const { type, status, message, code } = e as Partial<Record<string, unknown>>;
    let def: GatewayErrorDef | string;
    if (typeof type !== 'string' || !REPLY_TYPES.has(type))
      def = `reply error type ${JSON.stringify(type)} is not a gateway response type`;
    else if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)
      def = `reply error status ${String(status)} is not 400-599`;
    else if (typeof message !== 'string') def = 'reply error without a message';
    else {
      const like = Object.values(GATEWAY_ERRORS).find((d) => d.type === type);
      def = {
        code: typeof code === 'string' ? code : 'GW_ERR_PLUGIN',
        type: type as GatewayErrorDef['type'],
        status,
        message,
        errorType: like?.errorType ?? 'PluginException',
        description: `plugin ${this.#plugin}`,
      };
    }
    this.#custom.set(e, def);
    return def;
  }

  /** Logged once per failed request, with the plugin's name and the error, never the request's headers or body. */
  #failed(ctx: RequestContext, err: unknown): Reply {
    const e =
      err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : { message: String(err) };
    this.#log.error(
      { plugin: this.#plugin, policy: this.#policy.name, phase: this.phase, requestId: ctx.requestId, err: e },
      'plugin policy failed; answered 500',
    );
    return { error: GATEWAY_ERRORS.INTERNAL_ERROR };
  }
}

/**
 * The one face of a request a plugin gets: GatewayContext, delegating to the request's RequestContext,
 * which it holds in a private field (so `ctx.req`, `ctx.res` and the snapshot are out of a plugin's reach).
 */
export class PluginContext implements GatewayContext {
  readonly #ctx: RequestContext;
  constructor(ctx: RequestContext) {
    this.#ctx = ctx;
  }
  get requestId(): string {
    return this.#ctx.requestId;
  }
  get method(): string {
    return this.#ctx.method;
  }
  get rawPath(): string {
    return this.#ctx.rawPath;
  }
  get rawQuery(): string {
    return this.#ctx.rawQuery;
  }
  get clientIp(): string {
    return this.#ctx.clientIp;
  }
  get host(): string {
    return this.#ctx.host;
  }
  get apiName(): string {
    return this.#ctx.apiName;
  }
  get stageName(): string {
    return this.#ctx.stageName;
  }
  get routeKey(): string {
    return this.#ctx.routeKey;
  }
  header(name: string): string {
    return this.#ctx.header(name);
  }
  query(name: string): string | undefined {
    return this.#ctx.query(name);
  }
  pathParam(name: string): string | undefined {
    return this.#ctx.pathParam(name);
  }
  get body(): Buffer | undefined {
    return this.#ctx.body;
  }
  setResponseHeader(name: string, value: string): void {
    this.#ctx.setResponseHeader(name, value);
  }
  get shared(): Map<string, unknown> {
    return this.#ctx.shared;
  }
}
