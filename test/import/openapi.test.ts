import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { importOpenApi } from '../../src/import/openapi.js';
import { runCli } from '../helpers/cli.js';
import { compiles, corpus, resolvePointer } from './import-helpers.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';

const { dir: CORPUS, files: corpusFiles } = corpus('openapi');

describe('OpenAPI import: the corpus', () => {
  for (const f of corpusFiles) {
    test(f, async () => {
      const doc = parse(readFileSync(join(CORPUS, f), 'utf8'));
      const { config, report } = importOpenApi(doc, { params: { uri: 'http://127.0.0.1:9' } });
      await compiles(config);
      // Every operation is either a route or a note; every note points into the source.
      const routes = (config.apis as { routes: unknown[] }[])[0]?.routes ?? [];
      let ops = 0;
      for (const item of Object.values((doc as { paths?: Record<string, Record<string, unknown>> }).paths ?? {})) {
        ops += Object.keys(item).filter((k) =>
          ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'x-amazon-apigateway-any-method'].includes(k),
        ).length;
      }
      const leftOut = new Set(
        report.notes
          .filter((n) => /route left out/.test(n.reason))
          .map((n) => n.pointer.split('/x-amazon-apigateway-integration')[0]),
      );
      assert.equal(routes.length + leftOut.size, ops, 'each operation is imported or reported');
      for (const n of report.notes) {
        if (n.pointer === '') continue;
        assert.notEqual(resolvePointer(doc, n.pointer), undefined, `note points at nothing: ${n.pointer}`);
      }
    });
  }
});

describe('OpenAPI import: mappings', () => {
  const base = { swagger: '2.0', info: { title: 'Pets API!' }, basePath: '/v1' };

  test('routes, ANY, base path, timeouts, path parameter renames, stage variables', () => {
    const { config, report } = importOpenApi({
      ...base,
      paths: {
        '/pets/{petId}': {
          get: {
            'x-amazon-apigateway-integration': {
              type: 'http_proxy',
              uri: 'http://${stageVariables.host}/pets/{id}',
              timeoutInMillis: 5000,
              requestParameters: { 'integration.request.path.id': 'method.request.path.petId' },
            },
          },
        },
        '/{proxy+}': {
          'x-amazon-apigateway-any-method': {
            'x-amazon-apigateway-integration': { type: 'http_proxy', uri: 'http://b/{proxy}' },
          },
        },
      },
    });
    assert.deepEqual(config, {
      version: 1,
      apis: [
        {
          name: 'Pets-API',
          type: 'rest',
          emptySegments: 'aws',
          basePath: '/v1',
          stages: { prod: {} },
          routes: [
            {
              route: 'GET /pets/{petId}',
              integration: { type: 'http_proxy', timeoutMs: 5000, uri: 'http://${stageVariables.host}/pets/{petId}' },
            },
            { route: 'ANY /{proxy+}', integration: { type: 'http_proxy', uri: 'http://b/{proxy}' } },
          ],
        },
      ],
    });
    assert.deepEqual(report.notes, []);
  });

  test('$ref integrations, OpenAPI 3 servers with a {basePath} variable, http API detection', () => {
    const { config } = importOpenApi({
      openapi: '3.0.1',
      info: { title: 'x' },
      servers: [
        {
          url: 'https://abc.execute-api.us-east-1.amazonaws.com/{basePath}',
          variables: { basePath: { default: '/dev' } },
        },
      ],
      paths: {
        '/pets': {
          post: { 'x-amazon-apigateway-integration': { $ref: '#/components/x-amazon-apigateway-integrations/NewPet' } },
        },
      },
      components: {
        'x-amazon-apigateway-integrations': {
          NewPet: { type: 'HTTP_PROXY', uri: 'http://u/pets', payloadFormatVersion: 1.0 },
        },
      },
    });
    const api = (config.apis as Record<string, unknown>[])[0]!;
    assert.equal(api.type, 'http');
    assert.deepEqual(api.stages, { $default: {} });
    assert.equal(api.basePath, '/dev');
    assert.deepEqual(api.routes, [{ route: 'POST /pets', integration: { type: 'http_proxy', uri: 'http://u/pets' } }]);
  });

  test('VPC links become upstreams; without a mapping the route is reported', () => {
    const doc = {
      ...base,
      paths: {
        '/': {
          get: {
            'x-amazon-apigateway-integration': {
              type: 'http_proxy',
              connectionType: 'VPC_LINK',
              connectionId: 'abc',
              uri: 'http://nlb.example/x',
            },
          },
        },
      },
    };
    const without = importOpenApi(doc);
    assert.deepEqual((without.config.apis as { routes: unknown[] }[])[0]!.routes, []);
    assert.match(
      without.report.format(),
      /unsupported {2}\/paths\/~1\/get\/x-amazon-apigateway-integration\/connectionId {2}VPC_LINK: no target for VPC link "abc"; pass --vpc-link abc=http:\/\/HOST:PORT; route left out/,
    );
    const withLink = importOpenApi(doc, { vpcLinks: { abc: 'http://10.0.0.5:8080' } });
    assert.deepEqual(withLink.config.upstreams, { 'vpc-abc': { targets: [{ url: 'http://10.0.0.5:8080' }] } });
    assert.deepEqual((withLink.config.apis as { routes: unknown[] }[])[0]!.routes, [
      { route: 'GET /', integration: { type: 'http_proxy', uri: 'http://10.0.0.5:8080/x' } },
    ]);
  });

  test('mock integrations and gateway responses', () => {
    const { config } = importOpenApi({
      ...base,
      'x-amazon-apigateway-gateway-responses': {
        DEFAULT_4XX: {
          statusCode: 400,
          responseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" },
          responseTemplates: { 'application/json': '{"m":$context.error.messageString}' },
        },
      },
      paths: {
        '/ping': {
          options: {
            'x-amazon-apigateway-integration': {
              type: 'mock',
              requestTemplates: { 'application/json': '{"statusCode": 204}' },
              responses: {
                default: {
                  statusCode: '204',
                  responseParameters: { 'method.response.header.Access-Control-Allow-Methods': "'GET,OPTIONS'" },
                },
              },
            },
          },
        },
      },
    });
    const api = (config.apis as Record<string, unknown>[])[0]!;
    assert.deepEqual(api.routes, [
      {
        route: 'OPTIONS /ping',
        integration: { type: 'mock', statusCode: 204, headers: { 'access-control-allow-methods': 'GET,OPTIONS' } },
      },
    ]);
    assert.deepEqual(api.gatewayResponses, {
      DEFAULT_4XX: {
        statusCode: 400,
        headers: { 'Access-Control-Allow-Origin': '*' },
        body: '{"m":$context.error.messageString}',
      },
    });
  });

  test('unmappable features are reported by pointer, and text that looks like ${ENV} is escaped', () => {
    const { config, report } = importOpenApi({
      ...base,
      'x-amazon-apigateway-policy': { Version: '2012-10-17' },
      paths: {
        '/fn': { get: { 'x-amazon-apigateway-integration': { type: 'aws_proxy', uri: 'arn:aws:apigateway:...' } } },
        '/m': {
          get: {
            'x-amazon-apigateway-integration': {
              type: 'mock',
              responses: { default: { statusCode: '200', responseTemplates: { 'text/plain': 'cost: ${PRICE}' } } },
            },
          },
        },
        '/u': { get: { 'x-amazon-apigateway-integration': { type: 'http_proxy', uri: '${backend}/u' } } },
      },
    });
    const text = report.format();
    assert.match(
      text,
      /unsupported {2}\/paths\/~1fn\/get\/x-amazon-apigateway-integration {2}integration type aws_proxy/,
    );
    assert.match(text, /unsupported {2}\/x-amazon-apigateway-policy/);
    assert.match(text, /\$\{backend\}: placeholder has no value; pass --param backend=VALUE/);
    const routes = (config.apis as { routes: { integration: { body?: string } }[] }[])[0]!.routes;
    assert.equal(routes.length, 1);
    assert.equal(routes[0]!.integration.body, 'cost: $${PRICE}');
  });

  test('not an OpenAPI document', () => {
    assert.throws(
      () => importOpenApi({ openapi: '4.0' }),
      /expected "swagger: 2.0" or "openapi: 3.0.x\/3.1.x", got "4.0"/,
    );
    assert.throws(() => importOpenApi([1]), /expected an OpenAPI or Swagger document/);
  });
});

describe('portico import openapi (CLI) → portico start', () => {
  const petstore = join(CORPUS, 'localstack_localstack__tests__aws__files__petstore-swagger.json');

  test('imports the petstore, and the imported config serves it end to end', async (t) => {
    const up = await startUpstream();
    const dir = await mkdtemp(join(tmpdir(), 'portico-import-'));
    t.after(async () => {
      await up.close();
      await rm(dir, { recursive: true, force: true });
    });
    const out = join(dir, 'portico.yaml');
    const r = runCli(['import', 'openapi', petstore, '--param', `uri=${up.url}/petstore`, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /import report: 7 notes/);
    const gw = await startTestGateway(readFileSync(out, 'utf8'));
    t.after(() => gw.close());
    const pet = await fetch(`${gw.url}/prod/pets/7?x=1`);
    assert.equal(pet.status, 200);
    assert.equal(((await pet.json()) as { url: string }).url, '/petstore/7?x=1');
    const root = await fetch(`${gw.url}/prod`);
    assert.match(await root.text(), /Welcome to your Pet Store API/);
    assert.equal(root.headers.get('content-type'), 'text/html');
    const cors = await fetch(`${gw.url}/prod/pets`, { method: 'OPTIONS' });
    assert.equal(cors.headers.get('access-control-allow-methods'), 'POST,GET,OPTIONS');
  });

  test('--strict fails on unsupported features; usage errors are one line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portico-import-'));
    try {
      const file = join(dir, 'api.json');
      await writeFile(
        file,
        JSON.stringify({
          swagger: '2.0',
          info: { title: 't' },
          paths: { '/x': { get: { 'x-amazon-apigateway-integration': { type: 'aws', uri: 'arn:x' } } } },
        }),
      );
      // The route is left out, so without --allow-partial the import is refused before --strict looks.
      const partial = runCli(['import', 'openapi', file, '--strict']);
      assert.equal(partial.code, 1);
      assert.match(partial.stderr, /no route could be imported; nothing written\n {2}GET \/x/);
      const strict = runCli(['import', 'openapi', file, '--strict', '--allow-partial']);
      assert.equal(strict.code, 1);
      assert.match(strict.stderr, /--strict: 1 unsupported feature\(s\); nothing written/);
      assert.equal(strict.stdout, '');
      const bad = runCli(['import', 'swagger', file]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /portico import: expected a format \(openapi, cloudformation\), got "swagger"/);
      const noFile = runCli(['import', 'openapi']);
      assert.equal(noFile.code, 2);
      assert.match(noFile.stderr, /portico import openapi: missing FILE/);
      const badParam = runCli(['import', 'openapi', file, '--param', 'novalue']);
      assert.equal(badParam.code, 2);
      assert.match(badParam.stderr, /--param expects NAME=VALUE, got "novalue"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
