import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { loadConfigText } from '../../src/features.js';
import type { PorticoConfig } from '../../src/config/schema.js';
import { exportOpenApi } from '../../src/import/export-openapi.js';
import { importOpenApi } from '../../src/import/openapi.js';
import { runCli } from '../helpers/cli.js';
import { corpus } from './import-helpers.js';

const { dir: CORPUS, files } = corpus('openapi');

/** The config as the gateway sees it (defaults applied). */
function parsed(config: Record<string, unknown>): PorticoConfig {
  return loadConfigText(stringify(config), 'x.yaml', {}).config;
}

describe('import → export → import is stable', () => {
  for (const f of files) {
    test(f, () => {
      const doc = parse(readFileSync(join(CORPUS, f), 'utf8'));
      const first = parsed(importOpenApi(doc, { params: { uri: 'http://127.0.0.1:9' } }).config);
      const exported = exportOpenApi(first);
      const again = importOpenApi(JSON.parse(JSON.stringify(exported)));
      // A literal mock body with $ or # reads as VTL to AWS, so it is noted again as approximated; nothing is unsupported.
      assert.deepEqual(
        again.report.notes.filter((n) => n.level === 'unsupported'),
        [],
      );
      assert.deepEqual(parsed(again.config), first);
    });
  }

  test('a hand-written config with upstreams, $default, mocks, base path and gateway responses', () => {
    const config = parsed({
      version: 1,
      upstreams: {
        books: { targets: [{ url: 'http://127.0.0.1:1' }, { url: 'http://127.0.0.1:2', weight: 3 }] },
        unused: { targets: [{ url: 'http://x' }] },
      },
      apis: [
        {
          name: 'shop',
          type: 'http',
          basePath: '/v2',
          stages: { $default: {}, beta: { variables: { host: 'b.internal' } } },
          gatewayResponses: {
            DEFAULT_4XX: {
              statusCode: 418,
              headers: { 'x-why': 'teapot' },
              body: '{"m":$context.error.messageString}',
            },
          },
          routes: [
            { route: 'ANY /books/{proxy+}', integration: { type: 'http_proxy', upstream: 'books', timeoutMs: 1000 } },
            {
              route: 'GET /ping',
              integration: {
                type: 'mock',
                statusCode: 204,
                headers: { 'content-type': 'text/plain', 'x-a': '1' },
                body: 'pong',
              },
            },
            { route: 'GET /x/{id}', integration: { type: 'http_proxy', uri: 'http://${stageVariables.host}/x/{id}' } },
            { route: '$default', integration: { type: 'http_proxy', uri: 'http://fallback' } },
          ],
        },
      ],
    });
    const doc = exportOpenApi(config) as {
      paths: Record<string, Record<string, unknown>>;
      'x-portico': { upstreams: unknown };
    };
    assert.deepEqual(Object.keys(doc.paths), ['/books/{proxy+}', '/ping', '/x/{id}', '/$default']);
    assert.deepEqual(Object.keys(doc['x-portico'].upstreams as object), ['books']);
    assert.deepEqual(
      (doc.paths['/x/{id}']!.get as { 'x-amazon-apigateway-integration': unknown })['x-amazon-apigateway-integration'],
      {
        type: 'http_proxy',
        httpMethod: 'ANY',
        uri: 'http://${stageVariables.host}/x/{id}',
        payloadFormatVersion: '1.0',
      },
    );
    const back = parsed(importOpenApi(doc).config);
    assert.deepEqual(back, { ...config, upstreams: { books: config.upstreams.books! } });
  });
});

test('portico export openapi (CLI), YAML or JSON, and an unknown --api', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-export-'));
  try {
    const cfg = join(dir, 'portico.yaml');
    await writeFile(
      cfg,
      'version: 1\napis:\n  - name: a\n    type: rest\n    stages: { prod: {} }\n    routes:\n      - route: GET /x\n        integration: { type: mock }\n',
    );
    const json = runCli(['export', 'openapi', '-c', cfg]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { openapi: string }).openapi, '3.0.1');
    const out = join(dir, 'api.yaml');
    const yaml = runCli(['export', 'openapi', '-c', cfg, '--out', out]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.equal((parse(readFileSync(out, 'utf8')) as { info: { title: string } }).info.title, 'a');
    const bad = runCli(['export', 'openapi', '-c', cfg, '--api', 'nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no API named "nope"; APIs: a/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
