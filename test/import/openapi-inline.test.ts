import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigText } from '../../src/features.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';

// apis[].openapi: FILE — an API defined by an OpenAPI document, imported when the config loads.

function petsDoc(paths: string[]): string {
  const ops = Object.fromEntries(
    paths.map((p) => [
      p,
      { get: { 'x-amazon-apigateway-integration': { type: 'http_proxy', httpMethod: 'GET', uri: `\${backend}${p}` } } },
    ]),
  );
  return JSON.stringify({ swagger: '2.0', info: { title: 'pets', version: '1' }, basePath: '/', paths: ops });
}

test('an API from an OpenAPI file: imported at load with params, other keys laid over it, warnings logged, a changed document reloads', async (t) => {
  const upstream = await startUpstream((req, res) => res.end(JSON.stringify({ url: req.url })));
  t.after(() => upstream.close());
  const lines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }),
  );
  const config = (docPath: string) =>
    [
      'version: 1',
      'apis:',
      `  - openapi: ${JSON.stringify(docPath)}`,
      `    params: { backend: ${JSON.stringify(upstream.url)} }`,
      '    stage: v1',
      '    basePath: /shop',
      '',
    ].join('\n');
  // startTestGateway writes the config into a fresh directory; the document is written there first.
  const doc = join(process.env.TMPDIR ?? '/tmp', `portico-openapi-${process.pid}-${Date.now()}.json`);
  await writeFile(
    doc,
    JSON.stringify({
      ...JSON.parse(petsDoc(['/pets', '/pets/{id}'])),
      'x-amazon-apigateway-documentation': { version: '1' },
    }),
  );
  const gw = await startTestGateway(config(doc), { logger });
  t.after(async () => {
    await gw.close();
    const { rm } = await import('node:fs/promises');
    await rm(doc, { force: true });
  });

  const r = await fetch(`${gw.url}/shop/v1/pets/7?x=1`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { url: '/pets/7?x=1' });
  // What the importer could not map is logged, naming the document and the pointer.
  assert.ok(
    lines.some((l) =>
      /apis\[0\] \(.*portico-openapi-.*\.json\) unsupported \/x-amazon-apigateway-documentation/.test(l),
    ),
    lines.join('\n'),
  );

  // The document changes, the config does not: a reload still picks it up.
  await writeFile(doc, petsDoc(['/pets', '/pets/{id}', '/owners']));
  const res = await gw.gw.reload('test');
  assert.equal(res.changed, true);
  assert.equal((await fetch(`${gw.url}/shop/v1/owners`)).status, 200);
});

test('apis[].openapi errors name the entry: missing file, not OpenAPI, strict with unsupported features, bad params', async (t) => {
  const dir = join(process.env.TMPDIR ?? '/tmp');
  const doc = join(dir, `portico-openapi-bad-${process.pid}-${Date.now()}.json`);
  await writeFile(doc, JSON.stringify({ ...JSON.parse(petsDoc(['/pets'])), 'x-amazon-apigateway-documentation': {} }));
  const notApi = join(dir, `portico-openapi-not-${process.pid}-${Date.now()}.json`);
  await writeFile(notApi, '{"hello": 1}');
  t.after(async () => {
    const { rm } = await import('node:fs/promises');
    await rm(doc, { force: true });
    await rm(notApi, { force: true });
  });
  const load = (entry: string) =>
    loadConfigText(
      `version: 1\napis:\n  - name: x\n    type: http\n    stages: { $default: {} }\n    routes: [{ route: GET /a, integration: { type: mock } }]\n${entry}`,
      join(dir, 'c.yaml'),
      {},
    );
  const fails = (entry: string, re: RegExp) =>
    assert.throws(
      () => load(entry),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, re);
        return true;
      },
    );
  fails('  - openapi: ./nope.json\n', /c\.yaml:7:\d+ apis\[1\]\.openapi: \.\/nope\.json: file not found/);
  fails(
    `  - openapi: ${JSON.stringify(notApi)}\n`,
    /apis\[1\]\.openapi: .*expected "swagger: 2\.0" or "openapi: 3\.0\.x\/3\.1\.x"/,
  );
  fails(
    `  - openapi: ${JSON.stringify(doc)}\n    strict: true\n    params: { backend: "http://127.0.0.1:9" }\n`,
    /apis\[1\]\.openapi: .*\/x-amazon-apigateway-documentation: .*\(strict\)/,
  );
  fails(
    `  - openapi: ${JSON.stringify(doc)}\n    params: [a]\n`,
    /apis\[1\]\.params: expected a mapping of names to strings \(as --param NAME=VALUE\)/,
  );
  // Without strict the same document loads, with a warning.
  const ok = load(`  - openapi: ${JSON.stringify(doc)}\n    params: { backend: "http://127.0.0.1:9" }\n`);
  assert.equal(ok.config.apis[1]?.routes[0]?.route, 'GET /pets');
  assert.equal(ok.warnings.length, 1);
});
