import { type BlockList, isIP } from 'node:net';
import { blockListOf, parseCidr, type Cidr } from '../config/cidr.js';
import { GATEWAY_ERRORS, type GatewayErrorDef } from '../kernel/gateway-errors.js';
import type { RequestContext, Reply } from '../pipeline/context.js';
import type { PolicyFactory, RouteScope } from '../pipeline/policy.js';
import { apiArnPrefix, methodArn } from '../pipeline/arn.js';
import type { IpPolicyConfig } from './schema.js';

/** A compiled allow/deny pair. */
export class IpRules {
  readonly #allow: BlockList | undefined;
  readonly #deny: BlockList | undefined;

  private constructor(allow: BlockList | undefined, deny: BlockList | undefined) {
    this.#allow = allow;
    this.#deny = deny;
  }

  /** Compiles the lists; bad entries are returned with their path suffix. */
  static compile(cfg: IpPolicyConfig): IpRules | { errors: { path: (string | number)[]; message: string }[] } {
    const errors: { path: (string | number)[]; message: string }[] = [];
    const build = (list: readonly string[], key: string) => {
      if (!list.length) return undefined;
      const ranges: Cidr[] = [];
      list.forEach((entry, i) => {
        const r = parseCidr(entry);
        if (typeof r === 'string') errors.push({ path: [key, i], message: r });
        else ranges.push(r);
      });
      return blockListOf(ranges);
    };
    const allow = build(cfg.allow, 'allow');
    const deny = build(cfg.deny, 'deny');
    return errors.length ? { errors } : new IpRules(allow, deny);
  }

  /** 'deny' = in the deny list; 'notAllowed' = an allow list exists and the IP is not in it. */
  check(ip: string): 'ok' | 'deny' | 'notAllowed' {
    const family = isIP(ip);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (this.#deny && family !== 0 && this.#deny.check(ip, type)) return 'deny';
    if (this.#allow && (family === 0 || !this.#allow.check(ip, type))) return 'notAllowed';
    return 'ok';
  }
}

/** AWS's resource-policy denial body, naming the method ARN (reference §1.2, KC-403). */
function denial(arnPrefix: string, ctx: RequestContext, explicit: boolean): Reply {
  const message = `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${methodArn(arnPrefix, ctx)}${explicit ? ' with an explicit deny' : ''}`;
  const body = JSON.stringify({ Message: message });
  const error: GatewayErrorDef = {
    ...GATEWAY_ERRORS.RESOURCE_POLICY_DENY,
    message,
    literalBody: { rest: body, http: body },
  };
  return { error };
}

/** Compiled rules per ipPolicy config object, so every route and stage of one load shares them. */
const compiled = new WeakMap<IpPolicyConfig, IpRules | undefined>();

function rulesFor(
  scope: RouteScope,
  cfg: IpPolicyConfig,
  path: (string | number)[],
  report: boolean,
): IpRules | undefined {
  if (compiled.has(cfg)) return compiled.get(cfg);
  const r = IpRules.compile(cfg);
  if ('errors' in r) {
    if (report) for (const e of r.errors) scope.issue([...path, ...e.path], e.message);
    compiled.set(cfg, undefined);
    return undefined;
  }
  compiled.set(cfg, r);
  return r;
}

/**
 * `ipPolicy` on the API and on the route (phase resourcePolicy): the client IP (X-Forwarded-For believed only from
 * server.trustedProxies) must pass both, the API's first. A deny-list match wins over an allow list.
 */
export const ipPolicyFactory: PolicyFactory = {
  name: 'ip-policy',
  phase: 'resourcePolicy',
  create(scope) {
    const apiCfg = scope.api.ipPolicy;
    const routeCfg = scope.route.ipPolicy;
    if (!apiCfg && !routeCfg) return undefined;
    // The API's lists are reported by its first route only; a route's by its first stage only.
    const firstStage = Object.keys(scope.api.stages)[0] === scope.stageName;
    const lists: IpRules[] = [];
    let bad = false;
    for (const [cfg, path, report] of [
      [apiCfg, scope.at('ipPolicy'), firstStage && scope.routeIndex === 0],
      [routeCfg, scope.at('routes', scope.routeIndex, 'ipPolicy'), firstStage],
    ] as const) {
      if (!cfg) continue;
      const r = rulesFor(scope, cfg, path, report);
      if (r) lists.push(r);
      else bad = true;
    }
    if (bad) return undefined;
    const arnPrefix = apiArnPrefix(scope.api.arn, scope.api.name);
    return {
      name: 'ip-policy',
      phase: 'resourcePolicy',
      access(ctx) {
        for (const rules of lists) {
          const v = rules.check(ctx.clientIp);
          if (v !== 'ok') return denial(arnPrefix, ctx, v === 'deny');
        }
        return undefined;
      },
    };
  },
};
