import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { tempDir } from './import-helpers.js';

// Issue #20: a plain application document (no x-amazon-apigateway-integration) imports with --backend, and an
// import that leaves routes out, or maps none, is refused unless --allow-partial.

const PICTURES = fixture('plain-openapi', 'WRITTEN-by-us__aws-samples_picture-social-sample__pictures.openapi.json');

/** A Swagger 2.0 document of the kind a Spring or ASP.NET API exports: a base path, every method, path parameters. */
const ORDERS = {
  swagger: '2.0',
  info: { title: 'orders', version: '1' },
  basePath: '/v1',
  paths: {
    '/orders': {
      get: { responses: { 200: { description: 'ok' } } },
      post: { responses: { 201: { description: 'ok' } } },
    },
    '/orders/{orderId}': {
      parameters: [{ name: 'orderId', in: 'path', required: true, type: 'string' }],
      put: { responses: { 200: { description: 'ok' } } },
      patch: { responses: { 200: { description: 'ok' } } },
      delete: { responses: { 204: { description: 'ok' } } },
    },
    '/orders/{orderId}/lines/{line}': {
      get: {
        parameters: [
          { name: 'orderId', in: 'path', required: true, type: 'string' },
          { name: 'line', in: 'path', required: true, type: 'integer' },
        ],
        responses: { 200: { description: 'ok' } },
      },
    },
  },
};

describe('portico import openapi --backend: a plain application document', () => {
  test("Picturesocial's pictures API: every operation is proxied with its path, parameters and query", async (t) => {
    const up = await startUpstream();
    t.after(() => up.close());
    const dir = await tempDir(t);
    const out = join(dir, 'portico.yaml');
    const r = runCli(['import', 'openapi', PICTURES, '--backend', up.url, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /import report: everything was mapped/);
    const config = parse(readFileSync(out, 'utf8'));
    assert.deepEqual(
      config.apis[0].routes.map((x: { route: string; integration: { uri: string } }) => [x.route, x.integration.uri]),
      [
        ['GET /api/Picture/{photo}', `${up.url}/api/Picture/{photo}`],
        ['GET /api/Picture/text/{photo}', `${up.url}/api/Picture/text/{photo}`],
      ],
    );
    const gw = await startTestGateway(readFileSync(out, 'utf8'));
    t.after(() => gw.close());
    const labels = await fetch(`${gw.url}/prod/api/Picture/cat.jpg?bucket=mine`);
    assert.equal(labels.status, 200);
    assert.deepEqual(
      { ...((await labels.json()) as object), headers: undefined },
      { method: 'GET', url: '/api/Picture/cat.jpg?bucket=mine', headers: undefined },
    );
    const text = (await (await fetch(`${gw.url}/prod/api/Picture/text/sign.png`)).json()) as { url: string };
    assert.equal(text.url, '/api/Picture/text/sign.png');
    // Not in the document: the gateway answers, the backend never sees it.
    assert.equal((await fetch(`${gw.url}/prod/api/Other`)).status, 403);
    assert.equal(up.requests.length, 2);
  });

  test('each method and path parameter reaches the backend as the client sent it, under the base path', async (t) => {
    const up = await startUpstream();
    t.after(() => up.close());
    const dir = await tempDir(t);
    const src = join(dir, 'orders.json');
    await writeFile(src, JSON.stringify(ORDERS));
    const out = join(dir, 'portico.yaml');
    const r = runCli(['import', 'openapi', src, '--backend', `${up.url}/app/`, '--type', 'http', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const gw = await startTestGateway(readFileSync(out, 'utf8'));
    t.after(() => gw.close());
    for (const [method, path, seen] of [
      ['GET', '/v1/orders', '/app/orders'],
      ['POST', '/v1/orders', '/app/orders'],
      ['PUT', '/v1/orders/o-1', '/app/orders/o-1'],
      ['PATCH', '/v1/orders/o-1', '/app/orders/o-1'],
      ['DELETE', '/v1/orders/o%202', '/app/orders/o%202'],
      ['GET', '/v1/orders/o-1/lines/3?x=1', '/app/orders/o-1/lines/3?x=1'],
    ] as const) {
      const res = await fetch(`${gw.url}${path}`, { method });
      assert.equal(res.status, 200, `${method} ${path}`);
      const seenBy = (await res.json()) as { method: string; url: string };
      assert.deepEqual([seenBy.method, seenBy.url], [method, seen]);
    }
    // A method the document does not define for the path is not routed.
    assert.equal((await fetch(`${gw.url}/v1/orders/o-1`)).status, 404);
  });

  test('--backend NAME=URL: the operations go to upstream NAME, which the config defines', async (t) => {
    const up = await startUpstream();
    t.after(() => up.close());
    const dir = await tempDir(t);
    const out = join(dir, 'portico.yaml');
    const r = runCli(['import', 'openapi', PICTURES, '--backend', `pictures=${up.url}`, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const config = parse(readFileSync(out, 'utf8'));
    assert.deepEqual(config.upstreams, { pictures: { targets: [{ url: up.url }] } });
    assert.deepEqual(config.apis[0].routes[0].integration, { type: 'http_proxy', upstream: 'pictures' });
    const gw = await startTestGateway(readFileSync(out, 'utf8'));
    t.after(() => gw.close());
    const res = (await (await fetch(`${gw.url}/prod/api/Picture/dog.jpg`)).json()) as { url: string };
    assert.equal(res.url, '/api/Picture/dog.jpg');
  });

  test('without --backend: exit 1, nothing written, each operation listed with the flag to pass', async (t) => {
    const dir = await tempDir(t);
    const out = join(dir, 'portico.yaml');
    const r = runCli(['import', 'openapi', PICTURES, '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portico import openapi: no route could be imported; nothing written/);
    assert.match(r.stderr, /GET \/api\/Picture\/\{photo\} {2}\(\/paths\/~1api~1Picture~1\{photo\}\/get\)/);
    assert.match(r.stderr, /GET \/api\/Picture\/text\/\{photo\}/);
    assert.match(r.stderr, /no x-amazon-apigateway-integration; pass --backend URL/);
    assert.match(r.stderr, /Pass --allow-partial to write the config without them/);
    assert.throws(() => readFileSync(out), /ENOENT/);
    const bad = runCli(['import', 'openapi', PICTURES, '--backend', 'pictures']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--backend expects an http\(s\) URL \(http:\/\/HOST:PORT\) or NAME=URL/);
    const wrong = runCli(['import', 'cloudformation', PICTURES, '--backend', 'http://x']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--backend is for `portico import openapi`/);
  });
});

describe('partial imports are refused unless --allow-partial', () => {
  const MIXED = {
    openapi: '3.0.1',
    info: { title: 'mixed', version: '1' },
    paths: {
      '/ok': { get: { 'x-amazon-apigateway-integration': { type: 'http_proxy', uri: 'http://127.0.0.1:9/ok' } } },
      '/s3': { get: { 'x-amazon-apigateway-integration': { type: 'aws', uri: 'arn:aws:apigateway:s3:path/b' } } },
    },
  };

  test('openapi: one route left out → exit 1 naming it and why; --allow-partial writes the rest', async (t) => {
    const dir = await tempDir(t);
    const src = join(dir, 'mixed.json');
    await writeFile(src, JSON.stringify(MIXED));
    const out = join(dir, 'portico.yaml');
    const r = runCli(['import', 'openapi', src, '--out', out]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /1 route left out \(1 imported\); nothing written\n {2}GET \/s3 {2}\(\/paths\/~1s3\/get\)\n {6}\/paths\/~1s3\/get\/x-amazon-apigateway-integration integration type aws: AWS service integrations/,
    );
    assert.throws(() => readFileSync(out), /ENOENT/);
    const ok = runCli(['import', 'openapi', src, '--out', out, '--allow-partial']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(
      parse(readFileSync(out, 'utf8')).apis[0].routes.map((x: { route: string }) => x.route),
      ['GET /ok'],
    );
  });

  test('openapi: a document with no operation maps nothing → exit 1', async (t) => {
    const dir = await tempDir(t);
    const src = join(dir, 'empty.json');
    await writeFile(src, JSON.stringify({ openapi: '3.0.1', info: { title: 'e', version: '1' }, paths: {} }));
    const r = runCli(['import', 'openapi', src]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no route could be imported \(the document defines no operation\); nothing written/);
    assert.equal(r.stdout, '');
  });

  test('cloudformation: a method without an Integration is left out → exit 1 naming it', async (t) => {
    const dir = await tempDir(t);
    const src = join(dir, 'template.yaml');
    await writeFile(
      src,
      [
        'Resources:',
        '  Api: { Type: AWS::ApiGateway::RestApi, Properties: { Name: t } }',
        '  Pets: { Type: AWS::ApiGateway::Resource, Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: pets } }',
        '  Ok:',
        '    Type: AWS::ApiGateway::Method',
        '    Properties: { RestApiId: !Ref Api, ResourceId: !Ref Pets, HttpMethod: GET, AuthorizationType: NONE,',
        '      Integration: { Type: HTTP_PROXY, IntegrationHttpMethod: GET, Uri: "http://127.0.0.1:9/pets" } }',
        '  Bare:',
        '    Type: AWS::ApiGateway::Method',
        '    Properties: { RestApiId: !Ref Api, ResourceId: !Ref Pets, HttpMethod: POST, AuthorizationType: NONE }',
        '  Deployment: { Type: AWS::ApiGateway::Deployment, Properties: { RestApiId: !Ref Api, StageName: prod } }',
        '',
      ].join('\n'),
    );
    const r = runCli(['import', 'cloudformation', src]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /1 route left out \(1 imported\); nothing written\n {2}POST \/pets {2}\(\/Resources\/Bare\/Properties\)\n {6}\/Resources\/Bare\/Properties AWS::ApiGateway::Method: no Integration; method left out/,
    );
    assert.equal(r.stdout, '');
    const ok = runCli(['import', 'cloudformation', src, '--allow-partial']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /route: GET \/pets/);
  });
});
