/**
 * `portico invoke -c FILE --route "GET /pets/{id}" [--api NAME] [--stage S] [--event FILE | --path P --method M
 * --header K:V --body TEXT]`: runs one route's function once, in the same worker pool and with the same event
 * and response rules as the gateway, and prints the response it would send.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadConfigFile, compileConfig } from '../features.js';
import { FunctionIntegration } from '../functions/index.js';
import { FunctionPools, FUNCTIONS_SERVICE } from '../functions/pool.js';
import { createLogger } from '../logger.js';
import { ServiceRegistry } from '../kernel/services.js';
import { RequestContext } from '../pipeline/context.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { PoolRegistry } from '../forward/pools.js';
import { parseRouteKey } from '../router/route-key.js';
import { parseCommandArgs, UsageError } from './args.js';
import type { Io } from './commands.js';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  route: { type: 'string' },
  api: { type: 'string' },
  stage: { type: 'string' },
  event: { type: 'string' },
  path: { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', multiple: true },
  body: { type: 'string' },
} as const;

export async function invokeCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('invoke', argv, OPTIONS);
  const usage = (m: string) => new UsageError(`portico invoke: ${m} (see 'portico invoke --help')`);
  if (!values.route) throw usage('--route is required, e.g. --route "GET /pets/{id}"');
  const key = parseRouteKey(values.route);
  if (typeof key === 'string') throw usage(`--route: ${key}`);
  if (values.event && (values.path || values.method || values.header || values.body !== undefined)) {
    throw usage('--event replaces --path, --method, --header and --body; give one or the other');
  }
  const loaded = await loadConfigFile(values.config ?? io.env.PORTICO_CONFIG ?? 'portico.yaml', io.env);
  const pools = new PoolRegistry();
  const functions = new FunctionPools();
  const runtime = createRuntimeDeps({
    pools,
    log: createLogger('silent'),
    services: new ServiceRegistry([[FUNCTIONS_SERVICE, functions]]),
  });
  try {
    const snapshot = compileConfig(loaded, { runtime, revision: 1 });
    const apis = snapshot.apis.filter((a) =>
      values.api ? a.name === values.api : a.routes.some((r) => r.key.key === key.key),
    );
    if (values.api && apis.length === 0)
      throw usage(`no API named "${values.api}"; APIs: ${snapshot.apis.map((a) => a.name).join(', ')}`);
    const api = apis[0];
    const route = api?.routes.find((r) => r.key.key === key.key);
    if (!api || !route) throw usage(`no route "${key.key}"${values.api ? ` in API "${values.api}"` : ''}`);
    if (apis.length > 1 && !values.api)
      throw usage(`route "${key.key}" is in several APIs (${apis.map((a) => a.name).join(', ')}); pick one with --api`);
    const stage = values.stage === undefined ? api.stages[0] : api.stages.find((s) => s.name === values.stage);
    if (!stage)
      throw usage(
        `API "${api.name}" has no stage "${values.stage}"; stages: ${api.stages.map((s) => s.name).join(', ')}`,
      );
    const integration = route.pipelines[stage.index]?.integration;
    if (!(integration instanceof FunctionIntegration)) {
      throw usage(`route "${key.key}" of API "${api.name}" is not a function integration (it is ${integration?.type})`);
    }
    const requestId = randomUUID();
    let event: unknown;
    let accept: string | undefined;
    if (values.event) {
      try {
        event = JSON.parse(await readFile(values.event, 'utf8'));
      } catch (err) {
        throw usage(`--event ${values.event}: ${(err as Error).message}`);
      }
    } else {
      const method = key.method === 'ANY' || key.isDefault ? 'GET' : key.method;
      const sample = sampleContext(values, method, key.path, stage.prefix, requestId, snapshot, usage);
      sample.ctx.api = api;
      sample.ctx.stage = stage;
      sample.ctx.route = route;
      if (!key.isDefault) {
        const m = api.trie.match(sample.ctx.method, sample.ctx.restPath);
        if (!m || m.value !== route)
          throw usage(`--path ${sample.ctx.restPath} with ${sample.ctx.method} does not match route "${key.key}"`);
        sample.ctx.params = m.params;
      }
      accept = sample.ctx.req.headers.accept;
      event = integration.event(sample.ctx, sample.body);
    }
    const result = await integration.run(event, requestId, accept);
    if (result.kind === 'error') {
      const r = api.responses.render(result.error, { ...templateScope, requestId, errorMessage: result.error.message });
      io.out(JSON.stringify({ statusCode: r.status, headers: r.headers, body: r.body }, null, 2));
      io.err(`portico invoke: ${result.reason}`);
      return 1;
    }
    const res = result.response;
    const text = res.body.toString('utf8');
    const binary = !Buffer.from(text, 'utf8').equals(res.body);
    io.out(
      JSON.stringify(
        {
          statusCode: res.status,
          headers: res.headers,
          body: binary ? res.body.toString('base64') : text,
          isBase64Encoded: binary,
        },
        null,
        2,
      ),
    );
    return 0;
  } finally {
    await functions.close();
    await pools.close();
  }
}

const templateScope = {
  clientIp: '127.0.0.1',
  method: 'GET',
  rawPath: '/',
  userAgent: 'portico-invoke',
  host: 'localhost',
  protocol: 'HTTP/1.1',
  startTimeMs: 0,
  apiName: '',
  stageName: '',
  resourcePath: '',
  routeKey: '',
  stageVariables: {},
  errorResponseType: '',
};

/** A request context for a sample request, as the server would have made it. */
function sampleContext(
  values: {
    path?: string | undefined;
    method?: string | undefined;
    header?: string[] | undefined;
    body?: string | undefined;
  },
  defaultMethod: string,
  routePath: string,
  stagePrefix: string,
  requestId: string,
  snapshot: ReturnType<typeof compileConfig>,
  usage: (m: string) => UsageError,
): { ctx: RequestContext; body: Buffer } {
  const path = values.path ?? routePath;
  if (!path.startsWith('/')) throw usage(`--path must start with "/", got "${path}"`);
  if (!values.path && /\{/.test(routePath))
    throw usage(
      `--path is required for a route with parameters, e.g. --path ${routePath.replace(/\{([^}+]+)\+?\}/g, '1')}`,
    );
  const method = (values.method ?? defaultMethod).toUpperCase();
  const body = Buffer.from(values.body ?? '', 'utf8');
  const rawHeaders: string[] = ['Host', 'localhost', 'User-Agent', 'portico-invoke'];
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw usage(`--header expects NAME:VALUE, got "${h}"`);
    rawHeaders.push(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  if (body.length) rawHeaders.push('Content-Length', String(body.length));
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2)
    headers[(rawHeaders[i] as string).toLowerCase()] = rawHeaders[i + 1] as string;
  const q = path.indexOf('?');
  const rawPath = q === -1 ? path : path.slice(0, q);
  const req = { method, httpVersion: '1.1', headers, rawHeaders } as unknown as IncomingMessage;
  const ctx = new RequestContext(req, {} as ServerResponse, snapshot, {
    requestId,
    peerIp: '127.0.0.1',
    clientIp: '127.0.0.1',
    host: 'localhost',
    rawPath: stagePrefix + rawPath,
    rawQuery: q === -1 ? '' : path.slice(q + 1),
    localPort: 0,
  });
  ctx.restPath = rawPath;
  return { ctx, body };
}
