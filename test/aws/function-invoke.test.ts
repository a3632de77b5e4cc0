import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

describe('portico invoke', () => {
  let dir: string;
  let cfg: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-invoke-'));
    await mkdir(join(dir, 'handlers'));
    await writeFile(
      join(dir, 'handlers', 'pets.mjs'),
      `export async function handler(event, context) {
  return { statusCode: 200, headers: { 'x-fn': context.functionName }, body: JSON.stringify({ id: event.pathParameters?.id, q: event.queryStringParameters, path: event.requestContext.path, body: event.body }) };
}
export async function broken() { return { statusCode: 200, nope: 1 }; }
export async function v2(event) { return { got: event.rawPath, route: event.routeKey }; }
`,
    );
    cfg = join(dir, 'portico.yaml');
    await writeFile(
      cfg,
      `version: 1
apis:
  - name: pets
    type: rest
    stages: { prod: {}, beta: {} }
    routes:
      - route: ANY /pets/{id}
        integration: { type: function, handler: ./handlers/pets.mjs#handler }
      - route: GET /broken
        integration: { type: function, handler: ./handlers/pets.mjs#broken }
  - name: web
    type: http
    basePath: /web
    stages: { $default: {} }
    routes:
      - route: $default
        integration: { type: function, handler: ./handlers/pets.mjs#v2 }
      - route: GET /proxy
        integration: { type: http_proxy, uri: http://127.0.0.1:9/ }
`,
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('builds the event from a sample request (module path relative to the config file) and prints the response', () => {
    const r = runCli([
      'invoke',
      '-c',
      cfg,
      '--route',
      'ANY /pets/{id}',
      '--stage',
      'beta',
      '--path',
      '/pets/7?a=b',
      '--method',
      'POST',
      '--body',
      'hi',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'x-fn': 'pets' },
      body: JSON.stringify({ id: '7', q: { a: 'b' }, path: '/beta/pets/7', body: 'hi' }),
      isBase64Encoded: false,
    });
  });

  it('passes an --event file as is (payload 2.0 here)', async () => {
    const ev = join(dir, 'event.json');
    await writeFile(ev, JSON.stringify({ rawPath: '/x', routeKey: '$default' }));
    const r = runCli(['invoke', '-c', cfg, '--route', '$default', '--event', ev]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).body, '{"got":"/x","route":"$default"}');
  });

  it("a malformed response: prints the gateway's 502, says why on stderr, exits 1", () => {
    const r = runCli(['invoke', '-c', cfg, '--route', 'GET /broken']);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).statusCode, 502);
    assert.equal(JSON.parse(r.stdout).body, '{"message": "Internal server error"}');
    assert.match(r.stderr, /malformed function response: unexpected key "nope"/);
  });

  it('usage errors name what is wrong', () => {
    let r = runCli(['invoke', '-c', cfg, '--route', 'GET /nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no route "GET \/nope"/);
    r = runCli(['invoke', '-c', cfg, '--route', 'GET /proxy']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a function integration \(it is http_proxy\)/);
    r = runCli(['invoke', '-c', cfg, '--route', 'ANY /pets/{id}']);
    assert.match(r.stderr, /--path is required/);
    r = runCli(['invoke', '-c', cfg, '--route', 'ANY /pets/{id}', '--path', '/other']);
    assert.match(r.stderr, /does not match route/);
    r = runCli(['invoke', '-c', cfg, '--route', 'GET /broken', '--stage', 'zzz']);
    assert.match(r.stderr, /no stage "zzz"; stages: prod, beta/);
    r = runCli(['invoke', '-c', cfg]);
    assert.match(r.stderr, /--route is required/);
  });

  it('a missing module is a config error with its path', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, cfgText('./handlers/missing.mjs#handler'));
    const r = runCli(['validate', '-c', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /apis\[0\]\.routes\[0\]\.integration\.handler/);
    assert.match(r.stderr, /function module not found: .*missing\.mjs/);
    await writeFile(bad, cfgText('./handlers/pets.mjs'));
    const r2 = runCli(['validate', '-c', bad]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /expected MODULE#EXPORT/);
  });
});

function cfgText(handler: string): string {
  return `version: 1
apis:
  - name: a
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /x
        integration: { type: function, handler: ${handler} }
`;
}
