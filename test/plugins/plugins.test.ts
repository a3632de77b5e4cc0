import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { ConfigError } from '../../src/config/errors.js';
import { ROOT } from '../helpers/cli.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { parseMetrics, scrape, value } from '../observability/helpers.js';

/** The shipped example plugin (examples/plugins/require-header.mjs), by absolute path. */
const EXAMPLE = join(ROOT, 'examples/plugins/require-header.mjs');

/** Plugins written for these tests (no zod: they live in a temp dir without node_modules). */
const FAULTY = `
export const manifest = {
  name: 'faulty',
  metrics: [{ name: 'calls', help: 'calls', type: 'counter' }],
  policies(config, gateway) {
    return [{
      name: 'first',
      phase: 'resourcePolicy',
      access(ctx) {
        ctx.shared.set('faulty.first', 'seen');
      },
    }, {
      name: 'faults',
      phase: 'transform',
      access(ctx) {
        gateway.count('calls');
        const mode = ctx.header('x-fault');
        if (mode === 'sync') throw new Error('boom (sync)');
        if (mode === 'async') return Promise.reject(new Error('boom (async)'));
        if (mode === 'later') return new Promise((r) => setTimeout(r, 5)).then(() => { throw new Error('boom (later)'); });
        if (mode === 'undeclared') gateway.count('nope');
        if (mode === 'bad-reply') return { error: { type: 'NOT_A_TYPE', status: 400, message: 'x' } };
        if (mode === 'bad-header') return { error: gateway.errors.UNAUTHORIZED, headers: { 'x-h': 'a\\r\\nb' } };
        if (mode === 'custom') return { error: { type: 'ACCESS_DENIED', status: 451, message: 'Unavailable For Legal Reasons' }, headers: { 'x-why': 'law' } };
        if (mode === 'ctx') {
          const c = { requestId: ctx.requestId, method: ctx.method, rawPath: ctx.rawPath, rawQuery: ctx.rawQuery, clientIp: ctx.clientIp, host: ctx.host,
            apiName: ctx.apiName, stageName: ctx.stageName, routeKey: ctx.routeKey, q: ctx.query('q'), id: ctx.pathParam('id'), h: ctx.header('x-multi'),
            body: ctx.body === undefined ? null : ctx.body.length, shared: ctx.shared.get('faulty.first') };
          ctx.setResponseHeader('x-ctx', JSON.stringify(c));
        }
        if (mode === 'raw') return { error: gateway.errors.AUTHORIZER_FORBIDDEN, headers: { 'x-raw': String('req' in ctx) + ',' + String('res' in ctx) } };
        ctx.setResponseHeader('x-faulty', config.tag ?? 'none');
        return undefined;
      },
    }];
  },
};
`;

const config = (upstream: string, plugins: string) => `version: 1
plugins:
${plugins}
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /pets
        integration: { type: http_proxy, uri: "${upstream}/pets" }
      - route: GET /pets/{id}
        integration: { type: mock, statusCode: 200, body: '{}' }
      - route: GET /walled
        ipPolicy: { deny: [127.0.0.1/32] }
        integration: { type: http_proxy, uri: "${upstream}/walled" }
  - name: open
    type: http
    basePath: /open
    stages: { $default: {} }
    routes:
      - route: GET /pets
        integration: { type: http_proxy, uri: "${upstream}/pets" }
`;

const requireHeader = (extra = '') => `  - path: ${JSON.stringify(EXAMPLE)}
    config: { header: x-tenant, allow: [acme, globex], echoAs: x-tenant-seen${extra} }
    apis: [pets]`;

describe('the example plugin (require-header) end to end', () => {
  let up: TestUpstream;
  let t: TestGateway;
  before(async () => {
    up = await startUpstream();
    t = await startTestGateway(config(up.url, requireHeader(', phase: resourcePolicy')));
  });
  after(async () => {
    await t?.close();
    await up?.close();
  });

  test('answers its reply, and the upstream is not called', async () => {
    const seen = up.requests.length;
    const missing = await call(t.port, 'GET', '/prod/pets');
    assert.equal(missing.status, 401);
    assert.deepEqual(JSON.parse(missing.body), { message: 'Unauthorized' });
    assert.equal(missing.headers['www-authenticate'], 'Header realm="x-tenant"');
    assert.equal(missing.headers['x-amzn-errortype'], 'UnauthorizedException');
    const unknown = await call(t.port, 'GET', '/prod/pets', { 'x-tenant': 'initech' });
    assert.equal(unknown.status, 403);
    assert.equal(up.requests.length, seen);
  });

  test('lets a good request through to the upstream and sets its response header', async () => {
    const r = await call(t.port, 'GET', '/prod/pets', { 'x-tenant': 'acme' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-tenant-seen'], 'acme');
    assert.equal((JSON.parse(r.body) as { url: string }).url, '/pets');
    assert.equal(up.requests.at(-1)?.headers['x-tenant'], 'acme');
  });

  test('apis: [pets] leaves the other API alone', async () => {
    const r = await call(t.port, 'GET', '/open/pets');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-tenant-seen'], undefined);
  });

  test('runs after the built-in policy of its phase (ip policy denies before the plugin asks for the header)', async () => {
    const r = await call(t.port, 'GET', '/prod/walled');
    assert.equal(r.status, 403);
    assert.match(r.body, /is not authorized to perform: execute-api:Invoke/);
    assert.equal(r.headers['www-authenticate'], undefined);
  });

  test('its counters show in GET /metrics as portico_plugin_<name>_<metric>_total', async () => {
    const before = parseMetrics((await scrape(t.gw)).text);
    const rejected = value(before, 'portico_plugin_require_header_rejected_total', {});
    const admitted = value(before, 'portico_plugin_require_header_admitted_total', {});
    await call(t.port, 'GET', '/prod/pets');
    await call(t.port, 'GET', '/prod/pets', { 'x-tenant': 'globex' });
    await call(t.port, 'GET', '/prod/pets', { 'x-tenant': 'globex' });
    const text = (await scrape(t.gw)).text;
    assert.match(text, /# HELP portico_plugin_require_header_rejected_total Requests refused by require-header/);
    const now = parseMetrics(text);
    assert.equal(value(now, 'portico_plugin_require_header_rejected_total', {}), rejected + 1);
    assert.equal(value(now, 'portico_plugin_require_header_admitted_total', {}), admitted + 2);
  });

  test('a reload with a changed plugin config takes effect; the counters keep counting', async () => {
    const before = value(parseMetrics((await scrape(t.gw)).text), 'portico_plugin_require_header_admitted_total', {});
    await t.write(
      config(up.url, requireHeader(', phase: resourcePolicy').replace('allow: [acme, globex]', 'allow: [initech]')),
    );
    const r = await t.gw.reload('test');
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.changed, true);
    assert.equal((await call(t.port, 'GET', '/prod/pets', { 'x-tenant': 'acme' })).status, 403);
    assert.equal((await call(t.port, 'GET', '/prod/pets', { 'x-tenant': 'initech' })).status, 200);
    assert.equal(
      value(parseMetrics((await scrape(t.gw)).text), 'portico_plugin_require_header_admitted_total', {}),
      before + 1,
    );
  });

  test('a reload with a bad plugin config is rejected with located errors; the old config keeps serving', async () => {
    await t.write(config(up.url, requireHeader().replace('header: x-tenant', 'header: "X Tenant"')));
    const r = await t.gw.reload('test');
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /:\d+:\d+ plugins\[0\]\.config\.header: expected a lower-case header name/);
    assert.equal((await call(t.port, 'GET', '/prod/pets', { 'x-tenant': 'initech' })).status, 200);
  });
});

describe('a plugin that fails', () => {
  let up: TestUpstream;
  let t: TestGateway;
  let dir: string;
  const log: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) log.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  before(async () => {
    up = await startUpstream();
    dir = await mkdtemp(join(tmpdir(), 'portico-plugin-'));
    await writeFile(join(dir, 'faulty.mjs'), FAULTY);
    t = await startTestGateway(
      config(up.url, `  - path: ${JSON.stringify(join(dir, 'faulty.mjs'))}\n    config: { tag: one }`),
      { logger: pino({ level: 'info' }, sink) },
    );
  });
  after(async () => {
    await t?.close();
    await up?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const failures = () => log.filter((l) => l.msg === 'plugin policy failed; answered 500');

  for (const mode of ['sync', 'async', 'later', 'undeclared', 'bad-reply', 'bad-header']) {
    test(`${mode}: answers 500 Internal server error, logs it once with the plugin's name, and the next request works`, async () => {
      const before = failures().length;
      const r = await call(t.port, 'GET', '/prod/pets', { 'x-fault': mode, authorization: 'Bearer secret-token-123' });
      assert.equal(r.status, 500);
      assert.deepEqual(JSON.parse(r.body), { message: 'Internal server error' });
      assert.equal(r.headers['x-amzn-errortype'], 'InternalServerErrorException');
      const logged = failures().slice(before);
      assert.equal(logged.length, 1);
      assert.equal(logged[0]?.plugin, 'faulty');
      assert.equal(logged[0]?.requestId, r.headers['x-amzn-requestid']);
      assert.doesNotMatch(JSON.stringify(logged[0]), /secret-token-123/);
      const ok = await call(t.port, 'GET', '/prod/pets');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-faulty'], 'one');
    });
  }

  test('the http API answers 500 with its own body', async () => {
    const r = await call(t.port, 'GET', '/open/pets', { 'x-fault': 'async' });
    assert.equal(r.status, 500);
    assert.deepEqual(JSON.parse(r.body), { message: 'Internal Server Error' });
  });

  test("a plugin's own error object: status, message and headers of its choosing", async () => {
    const r = await call(t.port, 'GET', '/prod/pets', { 'x-fault': 'custom' });
    assert.equal(r.status, 451);
    assert.deepEqual(JSON.parse(r.body), { message: 'Unavailable For Legal Reasons' });
    assert.equal(r.headers['x-why'], 'law');
  });

  test('the context a plugin gets: the request, the route it matched, values shared between its phases', async () => {
    const r = await call(t.port, 'GET', '/prod/pets/a%20b?q=x%26y&z=1', {
      'x-fault': 'ctx',
      'x-multi': 'v1',
      host: 'shop.example',
    });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.headers['x-ctx'] as string), {
      requestId: r.headers['x-amzn-requestid'],
      method: 'GET',
      rawPath: '/prod/pets/a%20b',
      rawQuery: 'q=x%26y&z=1',
      clientIp: '127.0.0.1',
      host: 'shop.example',
      apiName: 'pets',
      stageName: 'prod',
      routeKey: 'GET /pets/{id}',
      q: 'x&y',
      id: 'a b',
      h: 'v1',
      body: null,
      shared: 'seen',
    });
  });

  test('the context a plugin gets has no req or res', async () => {
    const r = await call(t.port, 'GET', '/prod/pets', { 'x-fault': 'raw' });
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-raw'], 'false,false');
  });

  test('editing the plugin file and reloading imports it again', async () => {
    await writeFile(join(dir, 'faulty.mjs'), FAULTY.replace("config.tag ?? 'none'", "'edited'"));
    const r = await t.gw.reload('test');
    assert.equal(r.changed, true, JSON.stringify(r));
    assert.equal((await call(t.port, 'GET', '/prod/pets')).headers['x-faulty'], 'edited');
    const again = await t.gw.reload('test');
    assert.equal(again.changed, false, 'config and plugin file unchanged: a no-op');
  });
});

describe('plugin load errors, located', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-plugin-'));
    await writeFile(join(dir, 'nomanifest.mjs'), 'export const x = 1;\n');
    await writeFile(join(dir, 'noname.mjs'), 'export default { policies: () => [] };\n');
    await writeFile(
      join(dir, 'badphase.mjs'),
      "export default { name: 'bp', policies: () => [{ name: 'p', phase: 'rewrite', access() {} }] };\n",
    );
    await writeFile(join(dir, 'syntax.mjs'), 'export const manifest = {\n');
    await writeFile(join(dir, 'faulty.mjs'), FAULTY);
    await writeFile(join(dir, 'faulty-again.mjs'), FAULTY);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const startError = async (plugins: string): Promise<ConfigError> => {
    const err = await startTestGateway(config('http://127.0.0.1:1', plugins)).then(
      async (t) => {
        await t.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  };

  test('start: config failing the configSchema, each issue at plugins[i].config.<path> with line:column', async () => {
    const err = await startError(
      `  - path: ${JSON.stringify(EXAMPLE)}\n    config:\n      header: "X Tenant"\n      allow: []\n      extra: 1`,
    );
    assert.deepEqual(
      err.issues.map((i) => [i.path.join('.'), i.line, i.message]),
      [
        ['plugins.0.config.header', 5, 'expected a lower-case header name such as x-tenant'],
        ['plugins.0.config.allow', 6, 'Too small: expected array to have >=1 items'],
        ['plugins.0.config.extra', 7, 'unknown key "extra"'],
      ],
    );
    assert.match(err.message, /portico\.yaml:5:15 plugins\[0\]\.config\.header: expected a lower-case header name/);
  });

  test('start: a missing file', async () => {
    const err = await startError('  - path: ./nowhere.mjs');
    assert.equal(err.issues.length, 1);
    assert.match(
      err.message,
      /portico\.yaml:3:11 plugins\[0\]\.path: cannot load plugin \S+nowhere\.mjs: file not found/,
    );
  });

  test('start: an unknown API in apis', async () => {
    const err = await startError(`  - path: ${JSON.stringify(join(dir, 'faulty.mjs'))}\n    apis: [pets, nope]`);
    assert.match(err.message, /plugins\[0\]\.apis\[1\]: unknown API "nope"; APIs: pets, open/);
  });

  test(
    'portico validate (dist/): every plugin problem at once, like other config errors',
    { skip: !existsSync(join(ROOT, 'dist/cli/main.js')) && 'run npm run build' },
    async () => {
      const file = join(dir, 'portico.yaml');
      const at = (f: string) => JSON.stringify(join(dir, f));
      await writeFile(
        file,
        config(
          'http://127.0.0.1:1',
          [
            `  - path: ${JSON.stringify(EXAMPLE)}\n    config: { header: "X Tenant" }`,
            `  - path: ${at('nomanifest.mjs')}`,
            `  - path: ${at('noname.mjs')}`,
            `  - path: ${at('badphase.mjs')}`,
            `  - path: ${at('syntax.mjs')}`,
            `  - path: ${at('faulty.mjs')}`,
            `  - path: ${at('faulty-again.mjs')}`,
            '  - path: ./missing.mjs',
          ].join('\n'),
        ),
      );
      const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'validate', '-c', file], {
        encoding: 'utf8',
        timeout: 30000,
      });
      assert.equal(r.status, 1, r.stdout);
      const lines = r.stderr.split('\n');
      const has = (re: RegExp) =>
        assert.ok(
          lines.some((l) => re.test(l)),
          `no line matching ${re} in:\n${r.stderr}`,
        );
      has(/portico\.yaml:4:\d+ plugins\[0\]\.config\.header: expected a lower-case header name such as x-tenant$/);
      has(/plugins\[1\]\.path: \S+nomanifest\.mjs exports no plugin manifest/);
      has(/plugins\[2\]\.path: the plugin manifest of \S+noname\.mjs needs a name/);
      has(
        /plugins\[3\]\.path: plugin "bp" policy "p": phase "rewrite" is not an access phase; expected one of resourcePolicy, authorizer, apiKey/,
      );
      has(/plugins\[4\]\.path: cannot load plugin \S+syntax\.mjs: /);
      has(/plugins\[6\]\.path: plugin name "faulty" is already used by plugins\[5\]/);
      has(/plugins\[7\]\.path: cannot load plugin \S+missing\.mjs: file not found/);
      assert.match(r.stderr, /7 errors in config/);
      // `portico start` refuses the same file with the same errors, before listening.
      const start = spawnSync(
        process.execPath,
        [
          join(ROOT, 'dist/cli/main.js'),
          'start',
          '-c',
          file,
          '--listen',
          '127.0.0.1:0',
          '--admin-listen',
          '127.0.0.1:0',
        ],
        { encoding: 'utf8', timeout: 30000 },
      );
      assert.equal(start.status, 1, start.stdout);
      assert.match(
        start.stderr,
        /portico\.yaml:4:\d+ plugins\[0\]\.config\.header: expected a lower-case header name such as x-tenant/,
      );
      assert.match(start.stderr, /plugins\[7\]\.path: cannot load plugin \S+missing\.mjs: file not found/);
    },
  );

  test(
    'portico validate (dist/) accepts the example config',
    { skip: !existsSync(join(ROOT, 'dist/cli/main.js')) && 'run npm run build' },
    () => {
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'dist/cli/main.js'), 'validate', '-c', join(ROOT, 'examples/plugins/portico.yaml')],
        { encoding: 'utf8', timeout: 30000 },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /ok \(2 APIs, 2 routes\)/);
    },
  );
});
