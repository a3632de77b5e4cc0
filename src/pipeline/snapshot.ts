import type { LoadedConfig } from '../config/loaded.js';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import type { ApiConfig, StageConfig } from '../config/schema.js';
import { GatewayResponses } from '../gateway-responses.js';
import { uriIntegration } from '../integrations/uri.js';
import { MockIntegration } from '../integrations/mock.js';
import { mappedPathParams } from '../mapping/compile.js';
import { compileUriTemplate } from '../forward/uri-template.js';
import { MountTable } from '../router/mounts.js';
import { mountDomains } from '../edge/domains/mount.js';
import { parseRouteKey, type RouteKey } from '../router/route-key.js';
import { RouteTrie, staticKey } from '../router/trie.js';
import { TrustedProxies } from '../server/client-ip.js';
import { checkUpstreams } from '../upstream/compile.js';
import { upstreamIntegration } from '../upstream/integration.js';
import { checkListeners, ListenerIntegration } from '../upstream/listener.js';
import type { UpstreamConfig } from '../upstream/schema.js';
import type { ApiScope, RouteScope } from './policy.js';
import type { CompileFeatures } from './registry.js';
import type {
  CompiledApi,
  CompiledRoute,
  CompiledStage,
  Integration,
  Mounted,
  Policy,
  PreRouteHook,
  ResponseHeaderHook,
  RoutePipeline,
  RuntimeDeps,
  Snapshot,
} from './context.js';

export interface CompileDeps {
  runtime: RuntimeDeps;
  revision: number;
  /** From the feature list (src/features.ts compileConfig; pipeline/registry.ts compileFeatures). */
  features: CompileFeatures;
}

/** Compiles a validated config; throws ConfigError with every semantic problem found. */
export function compileSnapshot(loaded: LoadedConfig, deps: CompileDeps): Snapshot {
  const { config } = loaded;
  const issues: ConfigIssue[] = [];
  const origins = new Set<string>();
  // Upstream targets use the upstream registry's own pools (src/upstream), not `origins`.
  const upstreams = checkUpstreams(config.upstreams, loaded.dir, (path, message) =>
    issues.push(loaded.issue(path, message)),
  );
  checkListeners(config.listeners, new Set(upstreams.keys()), (path, message) =>
    issues.push(loaded.issue(path, message)),
  );
  const mounts = new MountTable<Mounted>();
  const apis: CompiledApi[] = [];
  const names = new Map<string, number>();

  config.apis.forEach((api, ai) => {
    const at = (...p: (string | number)[]) => ['apis', ai, ...p];
    const first = names.get(api.name);
    if (first !== undefined)
      issues.push(loaded.issue(at('name'), `duplicate API name "${api.name}" (also apis[${first}])`));
    names.set(api.name, ai);
    const compiled = compileApi(api, ai, at, {
      loaded,
      issues,
      upstreams,
      origins,
      deps,
      maxBodyBytes: config.server.limits.maxBodyBytes,
      api,
    });
    if (!compiled) return;
    apis.push(compiled);
    const base = api.basePath === '/' ? [] : api.basePath.slice(1).split('/');
    for (const stage of compiled.stages) {
      const prefix = stage.isDefault ? base : [...base, stage.name];
      const clash = mounts.add(api.hosts, prefix, { api: compiled, stage });
      if (clash) {
        issues.push(
          loaded.issue(
            at('stages', stage.name),
            `API "${api.name}" stage "${stage.name}" is mounted at /${prefix.join('/')} where API "${clash.api.name}" stage "${clash.stage.name}" already is; give one of them a basePath or hosts`,
          ),
        );
      }
    }
  });
  mountDomains(config.domains, apis, mounts, (path, message) => issues.push(loaded.issue(path, message)));
  if (issues.length) throw new ConfigError(loaded.file, issues);
  return {
    revision: deps.revision,
    loaded,
    config,
    mounts,
    apis,
    trustedProxies: new TrustedProxies(config.server.trustedProxies),
    origins,
    createdAt: new Date(),
    runtime: deps.runtime,
  };
}

const NO_POLICIES: readonly Policy[] = Object.freeze([]);

interface ApiCompileEnv {
  loaded: LoadedConfig;
  issues: ConfigIssue[];
  upstreams: Map<string, UpstreamConfig>;
  origins: Set<string>;
  deps: CompileDeps;
  maxBodyBytes: number;
  api: ApiConfig;
}

function compileApi(
  api: ApiConfig,
  apiIndex: number,
  at: (...p: (string | number)[]) => (string | number)[],
  env: ApiCompileEnv,
): CompiledApi | undefined {
  const { loaded, issues } = env;
  const before = issues.length;
  const scopeFor = (stageName: string): ApiScope => ({
    config: loaded.config,
    api,
    apiIndex,
    stageName,
    stage: api.stages[stageName] as StageConfig,
    deps: env.deps.runtime,
    configDir: loaded.dir,
    issue: (path, message) => issues.push(loaded.issue(path, message)),
    at,
  });
  const responses = GatewayResponses.compile(api.type, api.gatewayResponses);
  if ('errors' in responses)
    for (const e of responses.errors) issues.push(loaded.issue(at('gatewayResponses', ...e.path), e.message));
  const stages = compileStages(api, scopeFor, env.deps.features.hooks);
  if (api.type === 'rest' && api.stages.$default) {
    issues.push(
      loaded.issue(
        at('stages', '$default'),
        'the $default stage is for http APIs; a rest API stage needs a name such as "prod"',
      ),
    );
  }
  const trie = new RouteTrie<CompiledRoute>();
  const routes: CompiledRoute[] = [];
  let defaultRoute: CompiledRoute | undefined;
  const seen = new Map<string, number>();
  api.routes.forEach((r, ri) => {
    const key = parseRouteKey(r.route) as RouteKey; // the schema already checked it
    // Static segments compare decoded, as the trie does, so "/p%65ts" duplicates "/pets".
    const segs = key.segments.map((s) =>
      s.kind === 'static' ? staticKey(s.value) : s.kind === 'param' ? '{}' : '{+}',
    );
    const shape = key.isDefault ? '$default' : `${key.method} ${JSON.stringify(segs)}`;
    const dup = seen.get(shape);
    if (dup !== undefined) {
      issues.push(
        loaded.issue(
          at('routes', ri, 'route'),
          `route "${r.route}" duplicates apis[${at().at(1)}].routes[${dup}] ("${api.routes[dup]?.route}")`,
        ),
      );
      return;
    }
    seen.set(shape, ri);
    if (key.isDefault && api.type === 'rest') {
      issues.push(
        loaded.issue(
          at('routes', ri, 'route'),
          'the $default route is for http APIs; on a rest API use "ANY /{proxy+}"',
        ),
      );
      return;
    }
    const paramNames = new Set(key.segments.flatMap((s) => (s.kind === 'static' ? [] : [s.name])));
    // REST path mappings (integration.request.path.X) provide URI placeholders too.
    if (r.integration.type === 'http_proxy')
      for (const n of mappedPathParams(r.integration.requestParameters)) paramNames.add(n);
    const pipelines: RoutePipeline[] = [];
    for (const stage of stages) {
      const integration = compileIntegration(r.integration, paramNames, stage, at('routes', ri, 'integration'), env);
      if (!integration) continue;
      const scope: RouteScope = { ...scopeFor(stage.name), route: r, routeIndex: ri, key };
      const policies: Policy[] = [];
      for (const factory of env.deps.features.policies) {
        const p = factory.create(scope);
        if (p) policies.push(p);
      }
      pipelines.push({ integration, policies: policies.length ? policies.slice() : NO_POLICIES });
    }
    if (pipelines.length !== stages.length) return;
    const route: CompiledRoute = { key, config: r, pipelines: pipelines.slice() };
    routes.push(route);
    if (key.isDefault) defaultRoute = route;
    else trie.add(key, route);
  });
  if (issues.length > before || 'errors' in responses) return undefined;
  return {
    name: api.name,
    type: api.type,
    apiId: api.arn.apiId ?? api.name,
    responses,
    trie,
    defaultRoute,
    stages,
    routes,
    forwardOverrideHeaders: api.forwardOverrideHeaders,
    emptySegments: api.emptySegments,
  };
}

/** An API's stages, each with its API-stage hooks (preRoute, responseHeaders) made by the hook factories. */
function compileStages(
  api: ApiConfig,
  scopeFor: (stageName: string) => ApiScope,
  hooks: CompileFeatures['hooks'],
): CompiledStage[] {
  const stages: CompiledStage[] = Object.entries(api.stages).map(([name, s], index) => ({
    name,
    index,
    isDefault: name === '$default',
    variables: s.variables,
    prefix: name === '$default' ? '' : `/${name}`,
    preRoute: [],
    responseHeaders: [],
  }));
  for (const stage of stages) {
    const preRoute: PreRouteHook[] = [];
    const responseHeaders: ResponseHeaderHook[] = [];
    for (const factory of hooks) {
      const made = factory.create(scopeFor(stage.name));
      if (made?.preRoute) preRoute.push(made.preRoute);
      if (made?.responseHeaders) responseHeaders.push(made.responseHeaders);
    }
    stage.preRoute = preRoute;
    stage.responseHeaders = responseHeaders;
  }
  return stages;
}

function compileIntegration(
  config: ApiConfig['routes'][number]['integration'],
  paramNames: ReadonlySet<string>,
  stage: CompiledStage,
  path: (string | number)[],
  env: ApiCompileEnv,
): Integration | undefined {
  const { loaded, issues } = env;
  if (config.type === 'mock') {
    const mock = MockIntegration.create(config);
    if (!('errors' in mock)) return mock;
    if (stage.index === 0) for (const e of mock.errors) issues.push(loaded.issue([...path, 'body'], e));
    return undefined;
  }
  if (config.type !== 'http_proxy') {
    const scope = {
      loaded,
      api: env.api,
      stageIndex: stage.index,
      path,
      runtime: env.deps.runtime,
      maxBodyBytes: env.maxBodyBytes,
    };
    const factory = env.deps.features.integrations.get(config.type);
    if (factory) return factory.create(config, { ...scope, issue: (p, m) => issues.push(loaded.issue(p, m)) });
    if (stage.index === 0)
      issues.push(loaded.issue([...path, 'type'], `no feature compiles integrations of type "${config.type}"`));
    return undefined;
  }
  const targets = [config.uri, config.upstream, config.listener].filter((t) => t !== undefined);
  if (targets.length !== 1) {
    if (stage.index === 0)
      issues.push(loaded.issue(path, 'an http_proxy integration needs exactly one of "uri", "upstream" or "listener"'));
    return undefined;
  }
  if (config.listener !== undefined) {
    const listener = loaded.config.listeners[config.listener];
    if (!listener) {
      if (stage.index === 0) {
        const known = Object.keys(loaded.config.listeners);
        issues.push(
          loaded.issue(
            [...path, 'listener'],
            `unknown listener "${config.listener}"${known.length ? `; defined: ${known.join(', ')}` : '; none is defined under listeners'}`,
          ),
        );
      }
      return undefined;
    }
    return new ListenerIntegration(config.listener, listener, {
      timeoutMs: config.timeoutMs,
      maxBodyBytes: env.maxBodyBytes,
      retryNonIdempotent: config.retryNonIdempotent,
      timeouts: config.timeouts,
    });
  }
  if (config.upstream !== undefined) {
    const up = env.upstreams.get(config.upstream);
    if (!up) {
      if (stage.index === 0) {
        const known = [...env.upstreams.keys()];
        issues.push(
          loaded.issue(
            [...path, 'upstream'],
            `unknown upstream "${config.upstream}"${known.length ? `; defined: ${known.join(', ')}` : '; none is defined under upstreams'}`,
          ),
        );
      }
      return undefined;
    }
    return upstreamIntegration(config.upstream, {
      timeoutMs: config.timeoutMs,
      maxBodyBytes: env.maxBodyBytes,
      retryNonIdempotent: config.retryNonIdempotent,
      timeouts: config.timeouts,
      method: config.method,
    });
  }
  if ((config.retryNonIdempotent || config.timeouts) && stage.index === 0) {
    issues.push(
      loaded.issue(
        [...path, config.timeouts ? 'timeouts' : 'retryNonIdempotent'],
        'timeouts and retryNonIdempotent apply to upstream integrations only; this one has a uri',
      ),
    );
  }
  const t = compileUriTemplate(config.uri as string, stage.variables, paramNames);
  if (typeof t === 'string') {
    // Only a URI with stage variables can fail differently per stage; report other problems once.
    const perStage = (config.uri as string).includes('${stageVariables.');
    if (perStage || stage.index === 0)
      issues.push(loaded.issue([...path, 'uri'], perStage && !stage.isDefault ? `${t} (stage "${stage.name}")` : t));
    return undefined;
  }
  env.origins.add(t.origin);
  const opts = {
    timeoutMs: config.timeoutMs,
    maxBodyBytes: env.maxBodyBytes,
    retryNonIdempotent: false,
    timeouts: undefined,
    method: config.method,
  };
  return uriIntegration(t, config.uri as string, env.deps.runtime.pools, opts);
}
