import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers/cli.js';

const GOOD = `version: 1
apis:
  - name: pets
    type: rest
    stages: { prod: {}, beta: {} }
    routes:
      - route: GET /pets/{id}
        integration: { type: http_proxy, uri: "http://127.0.0.1:9/pets/{id}" }
      - route: ANY /{proxy+}
        integration: { type: mock, statusCode: 200 }
`;

const BAD = `version: 1
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - route: FETCH /pets
        integration: { type: mock }
      - route: GET /x
        integration: { type: http_proxy, upstream: nope }
`;

describe('portico CLI', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-cli-'));
    await writeFile(join(dir, 'good.yaml'), GOOD);
    await writeFile(join(dir, 'bad.yaml'), BAD);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('--version prints the package version', () => {
    const r = runCli(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  test('--help lists the commands; each command has --help', () => {
    const r = runCli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['start', 'validate', 'routes', 'reload', 'demo']) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
    for (const c of ['start', 'validate', 'routes', 'reload', 'demo']) {
      const h = runCli([c, '--help']);
      assert.equal(h.code, 0, c);
      assert.match(h.stdout, new RegExp(`^Usage: portico ${c}`), c);
    }
    assert.match(runCli(['start', '--help']).stdout, /--admin-listen HOST:PORT/);
  });

  test('validate: ok config exits 0 with a summary', () => {
    const r = runCli(['validate', '-c', join(dir, 'good.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /good\.yaml: ok \(1 API, 2 routes\)/);
  });

  test('validate: invalid config exits 1 with file:line:col, path and message', () => {
    const r = runCli(['validate', '-c', join(dir, 'bad.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml:7:16 apis\[0\]\.routes\[0\]\.route: unknown method "FETCH"/);
  });

  test('validate: semantic errors are reported with their position too', async () => {
    const file = join(dir, 'semantic.yaml');
    await writeFile(file, BAD.replace('FETCH /pets', 'GET /pets'));
    const r = runCli(['validate', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /semantic\.yaml:10:52 apis\[0\]\.routes\[1\]\.integration\.upstream: unknown upstream "nope"/,
    );
  });

  test('unknown flag: one line, exit 2', () => {
    const r = runCli(['validate', '--frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /portico validate: unknown option --frobnicate/);
  });

  test('unknown command: one line, exit 2', () => {
    const r = runCli(['serve']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(
      r.stderr.trim(),
      /^portico: unknown command "serve" \(commands: start, validate, [a-z, ]+; see 'portico --help'\)$/,
    );
  });

  test('missing config file: one line, exit 1', () => {
    const file = join(dir, 'missing.yaml');
    for (const cmd of ['validate', 'routes', 'start']) {
      const r = runCli([cmd, '-c', file]);
      assert.equal(r.code, 1, cmd);
      assert.equal(r.stderr.trim(), `${file}: cannot read config: file not found`, cmd);
    }
  });

  test('start: a bad --listen is a usage error', () => {
    const r = runCli(['start', '-c', join(dir, 'good.yaml'), '--listen', 'localhost']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--listen expected HOST:PORT/);
  });

  test('routes: one row per stage × route', () => {
    const r = runCli(['routes', '-c', join(dir, 'good.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] as string, /^API\s+TYPE\s+STAGE\s+METHOD\s+PATH\s+INTEGRATION$/);
    assert.equal(lines.length, 5);
    assert.match(
      r.stdout,
      /pets\s+rest\s+prod\s+GET\s+\/prod\/pets\/\{id\}\s+http_proxy http:\/\/127\.0\.0\.1:9\/pets\/\{id\}/,
    );
    assert.match(r.stdout, /pets\s+rest\s+beta\s+ANY\s+\/beta\/\{proxy\+\}\s+mock 200/);
  });

  test('routes --json', () => {
    const r = runCli(['routes', '-c', join(dir, 'good.yaml'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { api: string; stage: string; method: string; path: string }[];
    assert.deepEqual(
      rows.map((x) => `${x.stage} ${x.method} ${x.path}`),
      ['prod GET /prod/pets/{id}', 'prod ANY /prod/{proxy+}', 'beta GET /beta/pets/{id}', 'beta ANY /beta/{proxy+}'],
    );
  });

  test('PORTICO_CONFIG names the default config file', () => {
    const r = runCli(['validate'], { PORTICO_CONFIG: join(dir, 'good.yaml') });
    assert.equal(r.code, 0, r.stderr);
  });
});
