import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { UPSTREAMS_SERVICE, type UpstreamRegistry } from '../../src/upstream/registry.js';
import { runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

// The Fargate tutorial (aws-samples/http-api-aws-fargate-cdk): its two CDK stacks, HttpApiStack (the HTTP API and
// its VPC link integration) and FargateVpclinkStack (the internal ALB, its listener rules and target groups, the
// ECS services and Cloud Map), imported in one command; the ECS tasks are four local servers given with --target.
const STACK = (name: string) =>
  fixture(
    'corpus',
    'cloudformation',
    `aws-samples_http-api-aws-fargate-cdk__SYNTHESIZED-by-us__cdk-singleAccount__${name}.template.json`,
  );
const BACKEND = (name: string) => fixture('corpus', 'backends', `aws-samples_http-api-aws-fargate-cdk__${name}`);

interface Instance {
  name: string;
  server: Server;
  port: number;
  healthChecks: string[];
}

/** One ECS task of a service: GET /api/<service> gives the captured response, /api/<service>/health the page. */
async function instance(service: 'books' | 'authors', n: number): Promise<Instance> {
  const body = await readFile(BACKEND(`captured__GET_api_${service}.response.json`));
  const page = await readFile(BACKEND(`src__${service === 'books' ? 'book' : 'author'}-service__healthcheck.html`));
  const me: Instance = { name: `${service}-${n}`, server: createServer(), port: 0, healthChecks: [] };
  me.server.on('request', (req, res) => {
    const health = req.url === `/api/${service}/health`;
    if (health) me.healthChecks.push(req.url as string);
    const ok = health || req.url === `/api/${service}`;
    res.writeHead(ok ? 200 : 404, { 'content-type': health ? 'text/html' : 'application/json', 'x-instance': me.name });
    res.end(ok ? (health ? page : body) : '{"message":"not found"}');
  });
  await new Promise<void>((r) => me.server.listen(0, '127.0.0.1', r));
  me.port = (me.server.address() as AddressInfo).port;
  return me;
}

function stop(i: Instance): Promise<void> {
  i.server.closeAllConnections();
  return new Promise((r) => i.server.close(() => r()));
}

test('the Fargate tutorial: two stacks in one import, /api/books and /api/authors each reach their service, health checks follow the target groups', async (t) => {
  const [b1, b2, a1, a2] = await Promise.all([
    instance('books', 1),
    instance('books', 2),
    instance('authors', 1),
    instance('authors', 2),
  ]);
  const all = [b1, b2, a1, a2] as Instance[];
  t.after(() => Promise.all(all.filter((i) => i.server.listening).map(stop)));
  const dir = await mkdtemp(join(tmpdir(), 'portico-fargate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'portico.yaml');

  const r = runCli([
    'import',
    'cloudformation',
    STACK('HttpApiStack'),
    STACK('FargateVpclinkStack'),
    // Names as the report suggests them: the Cloud Map service names of the ECS services.
    ...[b1, b2].flatMap((i) => ['--target', `bookService=127.0.0.1:${i!.port}`]),
    ...[a1, a2].flatMap((i) => ['--target', `authorService=127.0.0.1:${i!.port}`]),
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  // The report says what the load balancer became, and leaves nothing of it out.
  assert.match(
    r.stderr,
    /mapped .*TargetGroup: upstream bookService: 2 target\(s\) from --target bookService; health check \/api\/books\/health every 30 s/,
  );
  assert.match(r.stderr, /mapped .*Listener: listener \S+: 2 rule\(s\)/);
  assert.match(r.stderr, /mapped .*stacks: 2 templates read as one app: Fn::ImportValue of FargateVpclinkStack:/);
  assert.doesNotMatch(r.stderr, /unsupported/);

  const config = parse(await readFile(out, 'utf8')) as {
    upstreams: Record<string, { healthCheck: Record<string, unknown> }>;
  };
  // The target groups' settings: HealthCheckPath, HealthCheckIntervalSeconds 30, HealthCheckTimeoutSeconds 3, and
  // the ALB defaults for the thresholds (healthy 5, unhealthy 2) and the matcher (200).
  assert.deepEqual(config.upstreams.bookService?.healthCheck, {
    path: '/api/books/health',
    intervalMs: 30000,
    timeoutMs: 3000,
    healthyThreshold: 5,
    unhealthyThreshold: 2,
    matcher: '200',
  });

  const { gw, port, close } = await startTestGateway(await readFile(out, 'utf8'));
  t.after(close);
  const get = (path: string) => call(port, 'GET', path);

  const books = await get('/api/books');
  assert.equal(books.status, 200);
  assert.deepEqual(
    (JSON.parse(books.body) as { title: string }[]).map((b) => b.title),
    (JSON.parse(await readFile(BACKEND('captured__GET_api_books.response.json'), 'utf8')) as { title: string }[]).map(
      (b) => b.title,
    ),
  );
  assert.equal((JSON.parse(books.body) as unknown[]).length, 6);
  const authors = await get('/api/authors');
  assert.equal(authors.status, 200);
  assert.equal((JSON.parse(authors.body) as unknown[]).length, 6);
  assert.match(authors.body, /Mark Wilkins/);

  // Alternation across each service's two instances.
  const served = async (path: string, n: number) => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) seen.push(String((await get(path)).headers['x-instance']));
    return seen;
  };
  const bookSeq = await served('/api/books', 4);
  assert.deepEqual([...bookSeq].sort(), ['books-1', 'books-1', 'books-2', 'books-2']);
  assert.notEqual(bookSeq[0], bookSeq[1]);
  const authorSeq = await served('/api/authors', 4);
  assert.deepEqual([...authorSeq].sort(), ['authors-1', 'authors-1', 'authors-2', 'authors-2']);
  assert.notEqual(authorSeq[0], authorSeq[1]);
  // The ALB default action (fixed-response 200, no body) answers what no rule matches.
  const other = await get('/api/other');
  assert.deepEqual([other.status, other.body, other.headers['x-instance']], [200, '', undefined]);
  // Each instance was probed on its own target group's path.
  assert.deepEqual(new Set(all.flatMap((i) => i.healthChecks)), new Set(['/api/books/health', '/api/authors/health']));

  // books-2 dies. Its target group's UnhealthyThresholdCount (2, the ALB default) decides: one failed check
  // leaves it in, the second takes it out. The checks are run by hand, not by waiting 30 s.
  const registry = gw.runtime.services.get(UPSTREAMS_SERVICE) as UpstreamRegistry;
  const rt = registry.get('bookService')!;
  const ep = rt.endpoints.find((e) => e.targetUrl === `http://127.0.0.1:${b2!.port}`)!;
  await stop(b2!);
  assert.equal((await rt.probe(ep)).ok, false);
  assert.equal(ep.healthy, true, 'one failed check of 2');
  await rt.probe(ep);
  assert.equal(ep.healthy, false, 'taken out after UnhealthyThresholdCount failed checks');
  const before = ep.requests;
  assert.deepEqual(await served('/api/books', 4), ['books-1', 'books-1', 'books-1', 'books-1']);
  assert.equal(ep.requests, before, 'no request was tried on the dead instance');
  // The authors service is untouched.
  assert.deepEqual([...(await served('/api/authors', 2))].sort(), ['authors-1', 'authors-2']);
});
