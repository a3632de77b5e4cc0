import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ApiConfig } from '../config/schema.js';
import type { ApiHookFactory, ApiScope, PolicyFactory, RouteScope } from '../pipeline/policy.js';
import { checkJwtConfig, JwtAuthorizer } from './jwt/index.js';
import { apiArnPrefix } from '../pipeline/arn.js';
import { CustomAuthorizer, functionCall, httpCall, type Outcome } from './custom.js';
import { InProcessInvoker } from './function.js';
import { createHttpAuthorizerCall } from './http.js';
import { parseIdentitySource } from './identity-source.js';
import type { AuthorizerConfig, FunctionAuthorizerConfig } from './schema.js';
import { authorizerService } from './service.js';
import type { Authorizer, RouteAuth } from './types.js';

/** Module file and export of `function: ./path.js#export` (export defaults to "handler"). */
export function functionTarget(spec: string, configDir: string): { file: string; exportName: string } {
  const hash = spec.lastIndexOf('#');
  return hash === -1
    ? { file: resolve(configDir, spec), exportName: 'handler' }
    : { file: resolve(configDir, spec.slice(0, hash)), exportName: spec.slice(hash + 1) };
}

function isFirstStage(scope: ApiScope): boolean {
  return Object.keys(scope.api.stages)[0] === scope.stageName;
}

/** Problems with one authorizer definition; checked once per API, whether or not a route uses it. */
function checkAuthorizer(scope: ApiScope, name: string, cfg: AuthorizerConfig): boolean {
  const at = (...p: (string | number)[]) => scope.at('authorizers', name, ...p);
  let ok = true;
  const issue = (p: (string | number)[], m: string) => {
    ok = false;
    scope.issue(p, m);
  };
  if (cfg.type === 'jwt') {
    for (const i of checkJwtConfig(cfg)) issue(at(...i.path), i.message);
  } else if (cfg.type === 'function') {
    const { file } = functionTarget(cfg.function, scope.configDir);
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      // reported below
    }
    if (!isFile) issue(at('function'), `cannot read the function module ${file}`);
    if (cfg.eventType === 'TOKEN' && cfg.identitySource && cfg.identitySource.length !== 1)
      issue(at('identitySource'), 'a TOKEN authorizer takes exactly one identity source');
    if (cfg.eventType === 'REQUEST' && cfg.identityValidationExpression !== undefined)
      issue(at('identityValidationExpression'), 'identityValidationExpression is for TOKEN authorizers only');
  }
  return ok;
}

const compiled = new WeakMap<ApiConfig, Map<string, Authorizer | undefined>>();

/** The API's authorizer of that name, compiled once per config load and shared by its routes and stages. */
function authorizerFor(scope: ApiScope, name: string, cfg: AuthorizerConfig): Authorizer | undefined {
  let byName = compiled.get(scope.api);
  if (!byName) compiled.set(scope.api, (byName = new Map()));
  if (byName.has(name)) return byName.get(name);
  let auth: Authorizer | undefined;
  if (checkAuthorizer({ ...scope, issue: () => {} }, name, cfg)) auth = build(scope, name, cfg);
  byName.set(name, auth);
  return auth;
}

function build(scope: ApiScope, name: string, cfg: AuthorizerConfig): Authorizer {
  const deps = scope.deps;
  if (cfg.type === 'jwt') return new JwtAuthorizer(cfg, deps);
  const cacheId = `${scope.api.name}/${name}/${createHash('sha256').update(JSON.stringify(cfg)).digest('hex').slice(0, 16)}`;
  const common = {
    name,
    ttlMs: cfg.resultTtlSeconds * 1000,
    cache: () => authorizerService(deps).results<Outcome>(cacheId),
    forwardContext: cfg.forwardContext,
    contextHeaderPrefix: cfg.contextHeaderPrefix,
    deps,
  };
  if (cfg.type === 'http') {
    const sources = cfg.identitySource.map(parseIdentitySource);
    return new CustomAuthorizer({ ...common, sources, call: httpCall(createHttpAuthorizerCall(cfg, sources, deps)) });
  }
  return new CustomAuthorizer({ ...common, ...functionParts(cfg, scope.configDir) });
}

function functionParts(cfg: FunctionAuthorizerConfig, configDir: string) {
  const { file, exportName } = functionTarget(cfg.function, configDir);
  const invoker = new InProcessInvoker(file, exportName, statSync(file).mtimeMs);
  const sourceTexts = cfg.identitySource ?? (cfg.eventType === 'TOKEN' ? ['$request.header.Authorization'] : []);
  return {
    sources: sourceTexts.map(parseIdentitySource),
    ...(cfg.identityValidationExpression !== undefined
      ? { validation: new RegExp(cfg.identityValidationExpression) }
      : {}),
    call: functionCall(invoker, cfg.eventType, cfg.timeoutMs),
  };
}

/** Checks every authorizer an API defines (once, at its first stage). Adds no hook. */
export const authorizerDefinitionsCheck: ApiHookFactory = {
  name: 'authorizer-definitions',
  create(scope) {
    if (isFirstStage(scope))
      for (const [name, cfg] of Object.entries(scope.api.authorizers)) checkAuthorizer(scope, name, cfg);
    return undefined;
  },
};

/** `authorizer: <name>` on a route: that authorizer must admit the request (phase "authorizer"). */
export const authorizerPolicyFactory: PolicyFactory = {
  name: 'authorizer',
  phase: 'authorizer',
  create(scope: RouteScope) {
    const { route } = scope;
    const report = isFirstStage(scope);
    const at = (...p: (string | number)[]) => scope.at('routes', scope.routeIndex, ...p);
    if (route.authorizer === undefined) {
      if (route.authorizationScopes?.length && report)
        scope.issue(at('authorizationScopes'), 'authorizationScopes need a jwt `authorizer` on the route');
      return undefined;
    }
    const cfg = scope.api.authorizers[route.authorizer];
    if (!cfg) {
      if (report) {
        const known = Object.keys(scope.api.authorizers);
        scope.issue(
          at('authorizer'),
          `unknown authorizer "${route.authorizer}"${known.length ? `; defined: ${known.join(', ')}` : "; none is defined under this API's authorizers"}`,
        );
      }
      return undefined;
    }
    if (route.authorizationScopes?.length && cfg.type !== 'jwt' && report)
      scope.issue(
        at('authorizationScopes'),
        `authorizationScopes apply to jwt authorizers; "${route.authorizer}" is a ${cfg.type} authorizer`,
      );
    const auth = authorizerFor(scope, route.authorizer, cfg);
    if (!auth) return undefined; // its definition problems are reported by authorizerDefinitionsCheck
    const routeAuth: RouteAuth = {
      scopes: route.authorizationScopes,
      arnPrefix: apiArnPrefix(scope.api.arn, scope.api.name),
    };
    return { name: 'authorizer', phase: 'authorizer', access: (ctx) => auth.authorize(ctx, routeAuth) };
  },
};
