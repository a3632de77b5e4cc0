import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { loadConfigText, compileConfig } from '../../src/features.js';
import { compileUriTemplate } from '../../src/forward/uri-template.js';
import { createRuntimeDeps } from '../../src/pipeline/policy.js';
import { PoolRegistry } from '../../src/forward/pools.js';
import { createLogger } from '../../src/logger.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { rawExchange } from '../proxy/proxy-helpers.js';
import { recordFigure } from './results.js';

const TOKEN = 'adm1n-t0ken-0123456789abcdef-SECRET';

function yaml(upstream: string, extra = ''): string {
  return `version: 1
admin: { token: "${TOKEN}" }
server: { timeouts: { drainMs: 1000 } }
apis:
  - name: svc
    type: http
    stages: { $default: { variables: { backend: "${upstream.replace('http://', '')}" } } }
    routes:
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "http://\${stageVariables.backend}/{proxy}" }
${extra}`;
}

test('the admin API is unreachable from the data listener, rejects missing and wrong tokens, and no token reaches the logs', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const logger = pino({ level: 'trace' }, sink);
  const gw = await startTestGateway(yaml(up.url), { logger, logLevel: 'trace' });
  t.after(() => gw.close());
  const admin = Number(new URL(gw.gw.adminUrl).port);
  assert.notEqual(admin, gw.port, 'admin has its own listener');

  // Data listener: admin paths are just paths, proxied like any other (here to the echo upstream).
  const probes: string[] = [];
  for (const path of ['/status', '/routes', '/reload', '/admin/status', '/_admin/status']) {
    for (const method of ['GET', 'POST']) {
      const r = await call(gw.port, method, path, { authorization: `Bearer ${TOKEN}` });
      if (/"revision"|"lastReload"|"routeKey"/.test(r.body)) probes.push(`${method} ${path} answered by the admin API`);
    }
  }
  // Admin listener: no token, wrong tokens (same length, prefix, suffix, case), other schemes.
  const wrong = [
    undefined,
    '',
    'Bearer',
    `Bearer ${TOKEN.slice(0, -1)}x`,
    `Bearer ${TOKEN.slice(0, 10)}`,
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.toUpperCase()}`,
    `Basic ${TOKEN}`,
    TOKEN,
  ];
  const accepted: string[] = [];
  for (const auth of wrong) {
    for (const [method, path] of [
      ['GET', '/status'],
      ['GET', '/routes'],
      ['POST', '/reload'],
    ] as const) {
      const r = await call(admin, method, path, auth === undefined ? {} : { authorization: auth });
      if (r.status !== 401) accepted.push(`${method} ${path} with ${JSON.stringify(auth)} → ${r.status}`);
      if (r.headers['access-control-allow-origin'] === '*') accepted.push(`${method} ${path}: CORS *`);
    }
  }
  assert.equal((await call(admin, 'GET', '/status', { authorization: `Bearer ${TOKEN}` })).status, 200);
  // A reload error and a request error, to give the logs something to say.
  await gw.write('version: 1\napis: [ {');
  await gw.gw.reload('test');
  await rawExchange(gw.port, 'GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
  const leaked = lines.filter((l) => l.includes(TOKEN) || l.includes(TOKEN.slice(0, -1)));
  recordFigure({
    id: 'admin-exposure',
    figure: 'Admin API reachable on the data port / wrong or missing tokens accepted / tokens in logs',
    value: `${probes.length} / ${accepted.length} of ${wrong.length * 3} / ${leaked.length} of ${lines.length} log lines`,
    target: '0 / 0 / 0',
    test: 'test/reliability/secrets-admin.test.ts › the admin API is unreachable from the data listener',
  });
  assert.deepEqual(probes, []);
  assert.deepEqual(accepted, []);
  assert.deepEqual(leaked, []);
  assert.ok(lines.length > 0, 'the logger did log');
});

test('a generated admin token is kept 0600 in the data dir and never printed', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const lines: string[] = [];
  const logger = pino(
    { level: 'trace' },
    new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }),
  );
  const gw = await startTestGateway(yaml(up.url).replace(`admin: { token: "${TOKEN}" }`, 'dataDir: ./data'), {
    logger,
  });
  t.after(() => gw.close());
  const file = join(gw.dir, 'data', 'admin.token');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.ok(gw.gw.adminToken.length >= 32);
  assert.ok(!lines.some((l) => l.includes(gw.gw.adminToken)), 'the generated token is not logged');
});

test('SSRF: request data never steers the upstream host (path params in hosts refused at load; Host, absolute-form and forwarding headers ignored)', async (t) => {
  const up = await startUpstream();
  const canary = await startUpstream();
  t.after(() => up.close());
  t.after(() => canary.close());
  // A path parameter in the host or port is a config error.
  for (const uri of ['http://{id}.internal/x', 'http://127.0.0.1:{id}/x', 'http://{id}/x', 'http://a{id}b/x']) {
    const text = `version: 1
apis:
  - name: s
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /x/{id}
        integration: { type: http_proxy, uri: "${uri}" }
`;
    assert.throws(
      () =>
        compileConfig(loadConfigText(text, 'ssrf.yaml', {}), {
          runtime: createRuntimeDeps({ pools: new PoolRegistry(), log: createLogger('silent') }),
          revision: 1,
        }),
      /path parameters are not allowed in the URI host/,
      uri,
    );
  }
  const gw = await startTestGateway(yaml(up.url));
  t.after(() => gw.close());
  const c = canary.url.replace('http://', '');
  const attempts: [string, Record<string, string>][] = [
    [`/x`, { host: c }],
    [`/x`, { 'x-forwarded-host': c, forwarded: `host=${c}` }],
    [`/@${c}/x`, {}],
    [`/x?url=${canary.url}`, {}],
  ];
  for (const [path, headers] of attempts) await call(gw.port, 'GET', path, headers);
  await rawExchange(gw.port, `GET ${canary.url}/x HTTP/1.1\r\nHost: ${c}\r\nConnection: close\r\n\r\n`);
  recordFigure({
    id: 'ssrf',
    figure: 'SSRF: request-steered upstream hosts reached',
    value: `${canary.requests.length} of ${attempts.length + 1} attempts (+4 host templates refused at load)`,
    target: '0',
    test: 'test/reliability/secrets-admin.test.ts › SSRF',
  });
  assert.equal(canary.requests.length, 0);
  assert.equal(up.requests.length, attempts.length + 1);
});

const value = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '@',
        '/',
        '//',
        '\\',
        ':',
        '%2f',
        '%40',
        '#',
        '?',
        '.',
        '..',
        'evil.example',
        'http://evil.example',
        '\r\n',
        '\0',
        'ä',
      ),
      fc.string(),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

test('property: any path-parameter value keeps a rendered URI on its template origin', () => {
  const t = compileUriTemplate('http://10.0.0.1:8080/base/{id}/{proxy}', {}, new Set(['id', 'proxy']));
  assert.ok(typeof t !== 'string');
  fc.assert(
    fc.property(value, value, (id, proxy) => {
      const path = t.render({ id, proxy });
      return path.startsWith('/base/') && new URL(path, t.origin).origin === t.origin;
    }),
    { numRuns: 20_000, seed: 3 },
  );
});

test('plaintext API keys never reach the store, the access log or the gateway log (created, imported with a value, rotated, used, mistyped)', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const lines: string[] = [];
  const logger = pino(
    { level: 'trace' },
    new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }),
  );
  const extra = `observability:
  accessLog: { enabled: true, format: json, destination: ./logs/access.log }
usagePlans:
  basic:
    stages: { svc/$default: {} }
    throttle: { rate: 1000, burst: 1000 }
`;
  const text = yaml(up.url)
    .replace('server:', 'dataDir: ./data\nserver:')
    .replace('apis:', `${extra}apis:`)
    .replace('      - route: ANY /{proxy+}\n', '      - route: ANY /{proxy+}\n        apiKeyRequired: true\n');
  const gw = await startTestGateway(text, { logger, logLevel: 'trace' });
  let closed = false;
  t.after(() => (closed ? undefined : gw.close()));
  const admin = Number(new URL(gw.gw.adminUrl).port);
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const values: string[] = [];
  const create = async (body: Record<string, unknown>) => {
    const r = await call(admin, 'POST', '/keys', auth, JSON.stringify(body));
    assert.equal(r.status, 201, r.body);
    const k = JSON.parse(r.body) as { id: string; value: string };
    values.push(k.value);
    return k;
  };
  const a = await create({ name: 'a', plans: ['basic'] });
  await create({ name: 'imported', plans: ['basic'], value: 'imported-key-value-0123456789abcdefXYZ' });
  const rotated = await call(admin, 'POST', `/keys/${a.id}/rotate`, auth, '{}');
  assert.equal(rotated.status, 200, rotated.body);
  values.push((JSON.parse(rotated.body) as { value: string }).value);
  let used = 0;
  for (const v of values) {
    for (const [header, value] of [
      ['x-api-key', v],
      ['x-api-key', `${v.slice(0, -1)}Q`],
      ['authorization', `Bearer ${v}`],
    ] as const) {
      await call(gw.port, 'GET', `/use/${used++}`, { [header]: value });
    }
  }
  const statuses = await Promise.all(
    values.slice(1).map((v) => call(gw.port, 'GET', '/ok', { 'x-api-key': v }).then((r) => r.status)),
  );
  assert.deepEqual(statuses, [200, 200], 'the imported and the rotated key work');
  await gw.gw.close(); // flushes usage and the access log
  closed = true;
  const secrets = [...values, ...values.map((v) => `${v.slice(0, -1)}Q`)];
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else files.push(join(dir, e.name));
    }
  };
  await walk(gw.dir);
  const found: string[] = [];
  let accessLines = 0;
  for (const f of files) {
    const bytes = await readFile(f);
    if (f.endsWith('access.log')) accessLines = bytes.toString('utf8').split('\n').filter(Boolean).length;
    for (const s of secrets) if (bytes.includes(s)) found.push(`${f.slice(gw.dir.length)} holds ${s.slice(0, 6)}…`);
  }
  for (const s of secrets) if (lines.some((l) => l.includes(s))) found.push(`the gateway log holds ${s.slice(0, 6)}…`);
  await rm(gw.dir, { recursive: true, force: true });
  const scanned = files.map((f) => f.slice(gw.dir.length + 1));
  recordFigure({
    id: 'apikey-plaintext',
    figure: 'Plaintext API keys in the store or logs (keys created, imported with a value, rotated, used and mistyped)',
    value: `${found.length} of ${secrets.length} key values × ${files.length} files (${scanned.filter((f) => !f.endsWith('.yaml')).join(', ')}; ${accessLines} access log lines) and ${lines.length} gateway log lines`,
    target: '0',
    test: 'test/reliability/secrets-admin.test.ts › plaintext API keys never reach the store',
  });
  assert.deepEqual(found, []);
  assert.ok(
    files.some((f) => f.endsWith('portico.db')),
    `the store was scanned: ${scanned.join(', ')}`,
  );
  assert.ok(
    accessLines >= used && lines.length > 0,
    `the logs were scanned: ${accessLines} access log lines for ${used + 2} requests`,
  );
});
