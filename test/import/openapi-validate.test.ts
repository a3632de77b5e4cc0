import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigFile } from '../../src/features.js';
import { runCli } from '../helpers/cli.js';
import { corpus, tempDir } from './import-helpers.js';

// Issue #20: OpenAPI input is validated structurally (@apidevtools/swagger-parser) before it is imported, by
// `portico import openapi` and for apis[].openapi, with the location of each error.

const INTEGRATION = { 'x-amazon-apigateway-integration': { type: 'http_proxy', uri: 'http://127.0.0.1:9/a' } };

/** Maps completely today: one route with an integration. `patch` breaks it in one place. */
function doc(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    openapi: '3.0.1',
    info: { title: 'v', version: '1' },
    paths: { '/a': { get: { ...INTEGRATION, responses: { 200: { description: 'ok' } } } } },
    ...patch,
  };
}

const DANGLING = doc({
  paths: { '/a': { get: { ...INTEGRATION, responses: { 200: { $ref: '#/components/responses/Missing' } } } } },
});

describe('portico import openapi: structural validation', () => {
  test('paths: 5 and a dangling $ref are errors with their JSON pointer; nothing is written', async (t) => {
    const dir = await tempDir(t);
    const five = join(dir, 'five.json');
    await writeFile(five, JSON.stringify(doc({ paths: 5 })));
    const r = runCli(['import', 'openapi', five]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /five\.json: not a valid OpenAPI\/Swagger document: \/paths: must be object/);
    assert.doesNotMatch(r.stderr, /everything was mapped/);
    assert.equal(r.stdout, '');

    const dangling = join(dir, 'dangling.json');
    await writeFile(dangling, JSON.stringify(DANGLING));
    const d = runCli(['import', 'openapi', dangling]);
    assert.equal(d.code, 1);
    assert.match(
      d.stderr,
      /dangling\.json: not a valid OpenAPI\/Swagger document: \/paths\/~1a\/get\/responses\/200: \$ref does not resolve: "#\/components\/responses\/Missing"/,
    );
    assert.equal(d.stdout, '');

    // An operation that is not a mapping, in Swagger 2.0.
    const op = join(dir, 'op.json');
    await writeFile(
      op,
      JSON.stringify({ swagger: '2.0', info: { title: 'o', version: '1' }, paths: { '/a': { get: 'x' } } }),
    );
    const o = runCli(['import', 'openapi', op]);
    assert.equal(o.code, 1);
    assert.match(o.stderr, /\/paths\/~1a\/get: must be object/);

    // The same document, whole, imports.
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify(doc()));
    const g = runCli(['import', 'openapi', good]);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stderr, /import report: everything was mapped/);
  });

  test('schema violations AWS accepts (a missing info.version) are warnings: the corpus petstore still imports', () => {
    const { dir } = corpus('openapi');
    const r = runCli([
      'import',
      'openapi',
      join(dir, 'localstack_localstack__tests__aws__files__petstore-swagger.json'),
      '--param',
      'uri=http://127.0.0.1:9',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /petstore-swagger\.json \/info: must have required property 'version' \(not valid OpenAPI; imported anyway, as AWS does\)/,
    );
  });
});

describe('apis[].openapi: the same validation, as a located config error', () => {
  test('a dangling $ref is an error at apis[1].openapi with its line; a valid document loads', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'bad.json'), JSON.stringify(DANGLING));
    await writeFile(join(dir, 'good.json'), JSON.stringify(doc({ info: { title: 'v' } })));
    const cfg = join(dir, 'portico.yaml');
    await writeFile(cfg, 'version: 1\napis:\n  - openapi: ./good.json\n  - openapi: ./bad.json\n    stage: v1\n');
    await assert.rejects(loadConfigFile(cfg), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.issues.length, 1);
      const issue = err.issues[0];
      assert.deepEqual(issue?.path, ['apis', 1, 'openapi']);
      assert.equal(issue?.line, 4);
      assert.match(
        issue?.message ?? '',
        /^\.\/bad\.json: not a valid OpenAPI\/Swagger document: \/paths\/~1a\/get\/responses\/200: \$ref does not resolve/,
      );
      return true;
    });

    await writeFile(cfg, 'version: 1\napis:\n  - openapi: ./good.json\n');
    const loaded = await loadConfigFile(cfg);
    assert.equal(loaded.config.apis[0]?.routes.length, 1);
    // good.json lacks info.version: loaded, with a warning.
    assert.ok(
      loaded.warnings.some((w) =>
        /^apis\[0\] \(\.\/good\.json\) \/info: must have required property 'version'/.test(w),
      ),
      loaded.warnings.join('\n'),
    );
  });
});
