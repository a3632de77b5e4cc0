import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigFile, loadConfigText } from '../../src/features.js';
import { keysCommand } from '../../src/api-keys/cli.js';
import { call } from '../helpers/http-call.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { redisSuiteSkip, startRedis } from '../helpers/redis.js';
import { admin, createKey } from './key-helpers.js';

const PARTNER = 'partner-key-value-0123456789abcdef';
const RUNTIME = 'runtime-key-value-0123456789abcdef';

function config(partner: string | null, extra = ''): string {
  const keys =
    partner === null
      ? ''
      : `apiKeys:\n  partner:\n    value: \${PARTNER_KEY}\n    description: partner integration\n${partner}\n`;
  return `version: 1
${extra}usagePlans:
  basic: { stages: { pets/prod: {} } }
  other: { stages: { pets/beta: {} } }
${keys}apis:
  - name: pets
    type: rest
    stages: { prod: {}, beta: {} }
    routes:
      - route: GET /pets
        apiKeyRequired: true
        integration: { type: mock, statusCode: 200, body: pets }
`;
}

describe('API keys declared in the config file (apiKeys)', () => {
  let t: TestGateway;
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const env = { PARTNER_KEY: PARTNER };
  let runtimeId = '';

  before(async () => {
    t = await startTestGateway(config('    usagePlans: [basic]'), { env, logger: pino({ level: 'trace' }, sink) });
  });
  after(() => t?.close());

  const get = (stage: string, key?: string) =>
    call(t.port, 'GET', `/${stage}/pets`, key === undefined ? {} : { 'x-api-key': key });
  const reload = async (yaml: string) => {
    await t.write(yaml);
    return t.gw.reload('test');
  };

  test('the declared value works on the stages of its plans; listed as source config, without value or hash', async () => {
    const ok = await get('prod', PARTNER);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'pets');
    assert.deepEqual([(await get('prod')).status, (await get('prod')).body], [403, '{"message":"Forbidden"}']);
    assert.equal((await get('beta', PARTNER)).status, 403, 'not in a plan of pets/beta');
    const list = await admin(t.gw, 'GET', '/keys');
    const items = list.body.items as Record<string, unknown>[];
    assert.equal(items.length, 1);
    const { createdAt: _c, updatedAt: _u, ...rest } = items[0] as Record<string, unknown>;
    assert.deepEqual(rest, {
      id: 'cfg-partner',
      name: 'partner',
      description: 'partner integration',
      enabled: true,
      expiresAt: null,
      plans: ['basic'],
      source: 'config',
    });
  });

  test('the admin API and CLI refuse to change or delete a declared key (409, managed by the config file)', async () => {
    const message =
      'API key "partner" is managed by the config file (apiKeys.partner); change or remove it there and reload';
    for (const [method, path, body] of [
      ['DELETE', '/keys/partner', undefined],
      ['POST', '/keys/cfg-partner/disable', undefined],
      ['POST', '/keys/partner/rotate', {}],
      ['POST', '/keys/partner/plans', { plan: 'other' }],
      ['DELETE', '/keys/partner/plans/basic', undefined],
    ] as const) {
      assert.deepEqual(await admin(t.gw, method, path, body), { status: 409, body: { message } }, `${method} ${path}`);
    }
    const err: string[] = [];
    const code = await keysCommand(['delete', 'partner', '-c', t.configPath], {
      out: () => {},
      err: (l) => err.push(l),
      env,
      readConfig: (file) => loadConfigFile(file, env),
    });
    assert.equal(code, 1);
    assert.equal(err.join('\n'), `portico keys delete: ${message}`);
    assert.equal((await get('prod', PARTNER)).status, 200, 'still there, unchanged');
  });

  test('reloads: plan membership and enabled take effect, removal → 403; keys created at runtime survive every reload', async () => {
    runtimeId = (await createKey(t.gw, { name: 'runtime', plans: ['basic'], value: RUNTIME })).id;
    assert.equal((await get('prod', RUNTIME)).status, 200);

    assert.equal((await reload(config('    usagePlans: [other]'))).ok, true);
    assert.equal((await get('prod', PARTNER)).status, 403, 'left plan basic');
    assert.equal((await get('beta', PARTNER)).status, 200, 'joined plan other');

    assert.equal((await reload(config('    usagePlans: [other]\n    enabled: false'))).ok, true);
    assert.equal((await get('beta', PARTNER)).status, 403, 'disabled in the file');
    assert.equal((await admin(t.gw, 'GET', '/keys/partner')).body.enabled, false);

    assert.equal((await reload(config(null))).ok, true);
    assert.equal((await get('beta', PARTNER)).status, 403, 'removed from the file');
    assert.equal((await admin(t.gw, 'GET', '/keys/cfg-partner')).status, 404);
    assert.equal((await get('prod', RUNTIME)).status, 200, 'the runtime key survived');
    assert.deepEqual(
      ((await admin(t.gw, 'GET', '/keys')).body.items as { id: string }[]).map((k) => k.id),
      [runtimeId],
    );

    // Back again: created anew with the same stable id.
    assert.equal((await reload(config('    usagePlans: [basic]'))).ok, true);
    assert.equal((await get('prod', PARTNER)).status, 200);
    assert.equal((await get('prod', RUNTIME)).status, 200);
  });

  test('a declared value that a runtime key already has rejects the reload at apiKeys.NAME.value; the old config keeps serving', async () => {
    const res = await reload(config('    usagePlans: [basic]').replace('${PARTNER_KEY}', RUNTIME));
    assert.equal(res.ok, false);
    assert.match(
      res.error ?? '',
      /apiKeys\.partner\.value: API key \w+ "runtime" \(created at runtime\) already has this value; key values must be unique/,
    );
    assert.ok(!(res.error ?? '').includes(RUNTIME), 'the value is not in the error');
    assert.equal((await get('prod', PARTNER)).status, 200, 'the previous config keeps serving');
    assert.equal((await get('prod', RUNTIME)).status, 200);
    assert.equal((await admin(t.gw, 'GET', '/keys/partner')).body.source, 'config');
  });

  test('neither declared nor runtime values appear in the data directory (SQLite file and WAL) or in the logs', async () => {
    const dataDir = join(t.dir, 'portico-data');
    const files = await readdir(dataDir);
    assert.ok(files.includes('portico.db'), files.join(', '));
    for (const f of files) {
      const bytes = (await readFile(join(dataDir, f))).toString('latin1');
      for (const v of [PARTNER, RUNTIME]) assert.ok(!bytes.includes(v), `${f} contains a key value`);
    }
    const logs = logLines.join('');
    assert.match(logs, /declared API keys reconciled/);
    for (const v of [PARTNER, RUNTIME]) assert.ok(!logs.includes(v), 'a key value was logged');
  });
});

describe('apiKeys validation: errors name the path and never show the value', () => {
  const base = (keys: string) => `version: 1
usagePlans:
  basic: { stages: { pets/prod: {} } }
  gold: { stages: { pets/prod: {} } }
apiKeys:
${keys}
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes: [{ route: GET /pets, apiKeyRequired: true, integration: { type: mock } }]
`;
  const errorsOf = (keys: string, env: NodeJS.ProcessEnv = {}): string => {
    try {
      loadConfigText(base(keys), 'cfg.yaml', env);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    assert.fail('expected a config error');
  };

  test('unknown plan, two plans on one stage, a plan listed twice', () => {
    assert.match(
      errorsOf('  partner: { value: "a-long-enough-key-value-1", usagePlans: [platinum] }'),
      /cfg\.yaml:\d+:\d+ apiKeys\.partner\.usagePlans\[0\]: unknown usage plan "platinum"; defined: basic, gold/,
    );
    assert.match(
      errorsOf('  partner: { value: "a-long-enough-key-value-1", usagePlans: [basic, gold] }'),
      /apiKeys\.partner\.usagePlans\[1\]: usage plans "basic" and "gold" both cover pets\/prod; a key may be in one plan per stage/,
    );
    assert.match(
      errorsOf('  partner: { value: "a-long-enough-key-value-1", usagePlans: [basic, basic] }'),
      /apiKeys\.partner\.usagePlans\[1\]: "basic" is listed twice/,
    );
  });

  test('a value shorter than 20 characters, with a space, a number, or shared by two keys; the value is never shown', () => {
    const short = errorsOf('  partner: { value: "${PARTNER_KEY}" }', { PARTNER_KEY: 'short-secret-value' });
    assert.match(short, /apiKeys\.partner\.value: the value has 18 characters, AWS requires at least 20/);
    assert.ok(!short.includes('short-secret-value'));
    const spaced = errorsOf('  partner: { value: "a long enough key value with spaces" }');
    assert.match(spaced, /apiKeys\.partner\.value: expected 20-128 printable ASCII characters without spaces/);
    assert.ok(!spaced.includes('with spaces'));
    const digits = errorsOf('  partner:\n    value: ${PARTNER_KEY}', { PARTNER_KEY: '123456789012345678901234' });
    assert.match(
      digits,
      /apiKeys\.partner\.value: expected the key value as a string; quote a \$\{VAR\} whose value is all digits/,
    );
    assert.ok(!digits.includes('1234567890123'));
    const dup = errorsOf(
      '  a: { value: "the-same-key-value-for-both" }\n  b: { value: "the-same-key-value-for-both" }',
    );
    assert.match(dup, /apiKeys\.b\.value: same value as apiKeys\.a; key values must be unique/);
    assert.ok(!dup.includes('the-same-key-value'));
    assert.match(
      errorsOf('  partner: { value: "${NOPE}" }'),
      /apiKeys\.partner\.value: environment variable NOPE is not set/,
    );
  });
});

describe('declared keys on two nodes sharing one Redis', { skip: redisSuiteSkip('declared keys on Redis') }, () => {
  test('both nodes reconcile the same key (one record); removing it on one node reaches the other', async (ctx) => {
    const redis = await startRedis(ctx);
    if (!redis) return;
    const shared = await mkdtemp(join(tmpdir(), 'portico-shared-'));
    const store = `dataDir: ${shared}\nstore: { kind: redis, url: "${redis.url}", keyPrefix: "dk:" }\n`;
    const env = { PARTNER_KEY: PARTNER };
    const a = await startTestGateway(config('    usagePlans: [basic]', store), { env });
    const b = await startTestGateway(config('    usagePlans: [basic]', store), { env });
    try {
      for (const n of [a, b])
        assert.equal((await call(n.port, 'GET', '/prod/pets', { 'x-api-key': PARTNER })).status, 200);
      assert.deepEqual(
        ((await admin(b.gw, 'GET', '/keys')).body.items as { id: string }[]).map((k) => k.id),
        ['cfg-partner'],
      );
      await a.write(config(null, store));
      assert.equal((await a.gw.reload('test')).ok, true);
      let status = 0;
      for (let i = 0; i < 100 && status !== 403; i++) {
        status = (await call(b.port, 'GET', '/prod/pets', { 'x-api-key': PARTNER })).status;
        if (status !== 403) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 403, 'node B heard of the removal');
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
      await rm(shared, { recursive: true, force: true });
    }
  });
});
