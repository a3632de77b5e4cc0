/**
 * The WAF as a pre-route hook: it sees every request to an API stage that has a web ACL, matched
 * route or not, before authorizers and keys (as AWS WAF runs before API Gateway's own checks).
 * It reads at most the ACL's body inspection limit and puts those bytes back for the integration.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Reader, type CountryResponse } from 'maxmind';
import type { PorticoConfig } from '../config/schema.js';
import { GATEWAY_ERRORS } from '../kernel/gateway-errors.js';
import type { RequestContext, PreRouteHook, Reply, RuntimeDeps } from '../pipeline/context.js';
import type { ApiHookFactory, ApiScope } from '../pipeline/policy.js';
import { declaresBody } from '../server/request-checks.js';
import { readBodyPrefix } from './body.js';
import { type BlockResponse, compileAcl, type CompiledAcl, type WafResult } from './engine.js';
import {
  type CounterBackend,
  MemoryRateCounterStore,
  type RateCounterStore,
  SharedRateCounterStore,
  WAF_COUNTERS_SERVICE,
} from './rate.js';
import { WafRequest } from './request.js';
import type { WebAclConfig } from './schema.js';
import type { GeoLookup } from './statements.js';

declare module '../pipeline/context.js' {
  interface RequestContext {
    /** What the WAF decided (action, matched rule ids, labels); for access logs ($context.waf.*) and metrics. */
    waf?: WafResult;
  }
}

const fallbackCounters = new WeakMap<RuntimeDeps, RateCounterStore>();

/**
 * The counter service if one is registered; else, when the Store is shared by several processes
 * (Redis, workers), counts shared through it; else one in-memory store per gateway. Kept across reloads.
 */
function countersFor(deps: RuntimeDeps): RateCounterStore {
  const explicit = deps.services.get(WAF_COUNTERS_SERVICE) as RateCounterStore | undefined;
  if (explicit) return explicit;
  let c = fallbackCounters.get(deps);
  if (!c) {
    const store = deps.services.get('store') as CounterBackend | undefined;
    c =
      store && store.kind !== 'embedded' && typeof store.increment === 'function'
        ? new SharedRateCounterStore(store, (err) =>
            deps.log.warn({ err }, 'WAF rate count not shared; counting locally'),
          )
        : new MemoryRateCounterStore();
    fallbackCounters.set(deps, c);
  }
  return c;
}

/** Compiled named ACLs per config, so an ACL used by many stages is compiled (and reported) once. */
const compiledNamed = new WeakMap<PorticoConfig, Map<string, CompiledAcl>>();
const geoByConfig = new WeakMap<PorticoConfig, GeoLookup | undefined>();

function geoFor(scope: ApiScope): GeoLookup | undefined {
  const config = scope.config;
  if (geoByConfig.has(config)) return geoByConfig.get(config);
  let lookup: GeoLookup | undefined;
  if (config.wafGeoDatabase !== undefined) {
    try {
      const reader = new Reader<CountryResponse>(readFileSync(resolve(config.wafGeoDatabase)));
      lookup = (ip) => {
        try {
          return reader.get(ip)?.country?.iso_code;
        } catch {
          return undefined;
        }
      };
    } catch (err) {
      scope.issue(['wafGeoDatabase'], `cannot read the MaxMind database: ${(err as Error).message}`);
    }
  }
  geoByConfig.set(config, lookup);
  return lookup;
}

function compileFor(scope: ApiScope, acl: WebAclConfig, name: string, base: (string | number)[]): CompiledAcl {
  const { deps, config } = scope;
  const usesGeo = JSON.stringify(acl.rules).includes('"geoMatchStatement"');
  return compileAcl(
    acl,
    {
      issue: (p, m) => scope.issue([...base, ...p], m),
      ipSets: config.wafIpSets,
      regexSets: config.wafRegexPatternSets,
      geo: usesGeo ? geoFor(scope) : undefined,
      counters: () => countersFor(deps),
    },
    {
      name,
      onRuleError: (rule, err) =>
        deps.log.error({ err, acl: name, rule }, 'WAF rule failed; counted as a match for block rules'),
    },
  );
}

/** The hook of one stage. */
export class WafHook implements PreRouteHook {
  readonly name = 'waf';
  readonly acl: CompiledAcl;
  readonly #deps: RuntimeDeps;
  readonly #maxJsonDepth: number;

  constructor(acl: CompiledAcl, deps: RuntimeDeps, maxJsonDepth: number) {
    this.acl = acl;
    this.#deps = deps;
    this.#maxJsonDepth = maxJsonDepth;
  }

  onRequest(ctx: RequestContext): Reply | boolean | Promise<Reply | boolean> {
    if (this.acl.needsBody && hasBody(ctx)) {
      return readBodyPrefix(ctx, this.acl.bodyLimitBytes).then((b) => this.#decide(ctx, b));
    }
    return this.#decide(ctx, undefined);
  }

  #decide(ctx: RequestContext, b: { prefix: Buffer; oversize: boolean; size: number } | undefined): Reply | boolean {
    const req = new WafRequest({
      method: ctx.method,
      uriPath: ctx.rawPath,
      queryString: ctx.rawQuery,
      headers: ctx.req.headers,
      clientIp: ctx.clientIp,
      body: b ? b.prefix.subarray(0, this.acl.bodyLimitBytes) : undefined,
      bodyOversize: b?.oversize ?? false,
      bodySize: b?.size ?? 0,
      maxJsonDepth: this.#maxJsonDepth,
    });
    const { result, block } = this.acl.evaluate(req, this.#deps.clock.now());
    ctx.waf = result;
    if (result.action === 'ALLOW') return false;
    if (block) {
      sendCustom(ctx, block);
      return true;
    }
    return { error: GATEWAY_ERRORS.WAF_FILTERED };
  }
}

function hasBody(ctx: RequestContext): boolean {
  return declaresBody(ctx.req.headers) && !ctx.req.readableEnded;
}

/** A rule's customResponse: its status, headers and body, through the stage's response header hooks. */
function sendCustom(ctx: RequestContext, b: BlockResponse): void {
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...b.headers, 'content-length': String(Buffer.byteLength(b.body)) };
  ctx.finalizeHeaders(headers);
  if (ctx.hasUnreadBody()) headers.connection = 'close';
  ctx.status = b.status;
  ctx.errorMessage = 'Forbidden';
  ctx.errorResponseType = 'WAF_FILTERED';
  res.writeHead(b.status, headers);
  ctx.endWith(b.body);
}

/** apis[].waf / stages.X.waf → the stage's WAF hook. */
export const wafHookFactory: ApiHookFactory = {
  name: 'waf',
  create(scope) {
    const ref = scope.stage.waf !== undefined ? scope.stage.waf : scope.api.waf;
    if (ref === undefined || ref === false) return undefined;
    const refPath = scope.stage.waf !== undefined ? scope.at('stages', scope.stageName, 'waf') : scope.at('waf');
    if (typeof ref === 'string') {
      let byName = compiledNamed.get(scope.config);
      if (!byName) {
        byName = new Map();
        compiledNamed.set(scope.config, byName);
      }
      let acl = byName.get(ref);
      if (!acl) {
        const def = scope.config.wafAcls[ref];
        if (!def) {
          const known = Object.keys(scope.config.wafAcls);
          scope.issue(
            refPath,
            `unknown web ACL "${ref}"; ${known.length ? `defined: ${known.join(', ')}` : 'define it under wafAcls'}`,
          );
          return undefined;
        }
        acl = compileFor(scope, def, ref, ['wafAcls', ref]);
        byName.set(ref, acl);
      }
      return { preRoute: new WafHook(acl, scope.deps, scope.config.server.limits.maxJsonDepth) };
    }
    const name = `${scope.api.name}/${scope.stage.waf !== undefined ? scope.stageName : '*'}`;
    // An API-level inline ACL is compiled per stage but reported once (for the first stage).
    const first = Object.keys(scope.api.stages)[0] === scope.stageName;
    const acl = compileFor(
      scope.stage.waf !== undefined || first ? scope : { ...scope, issue: () => undefined },
      ref,
      name,
      refPath,
    );
    return { preRoute: new WafHook(acl, scope.deps, scope.config.server.limits.maxJsonDepth) };
  },
};
