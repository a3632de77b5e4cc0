import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';

describe('parameter mapping to http_proxy upstreams', () => {
  let up: TestUpstream;
  let t: TestGateway;
  const last = () => up.requests[up.requests.length - 1] as TestUpstream['requests'][number];
  const headerLines = (name: string) => {
    const raw = last().rawHeaders;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2)
      if ((raw[i] as string).toLowerCase() === name) out.push(raw[i + 1] as string);
    return out;
  };

  before(async () => {
    up = await startUpstream();
    t = await startTestGateway(`
version: 1
upstreams:
  pool: { targets: [ { url: '${up.url}/base' } ] }
apis:
  - name: h
    type: http
    basePath: /h
    stages: { $default: { variables: { region: eu } } }
    routes:
      - route: GET /users/{id}
        integration:
          type: http_proxy
          uri: '${up.url}/u/{id}'
          requestParameters:
            'append:header.x-user-id': '$request.path.id'
            'overwrite:header.x-mode': 'static-mode'
            'remove:header.x-secret': "''"
            'append:header.x-combined': 'id=\${request.path.id};rid=$context.requestId;r=$stageVariables.region'
            'append:header.x-missing': '$request.header.x-not-sent'
            'append:querystring.added': '$request.header.x-src'
            'overwrite:querystring.page': '2'
            'remove:querystring.drop': "''"
            'append:header.x-route': '$context.routeKey'
      - route: GET /move/{proxy+}
        integration:
          type: http_proxy
          uri: '${up.url}/orig/{proxy}'
          requestParameters:
            'overwrite:path': '/moved/$request.path.proxy'
      - route: GET /pooled
        integration:
          type: http_proxy
          upstream: pool
          requestParameters:
            'overwrite:path': /elsewhere
            'overwrite:querystring.q': v
            'append:header.x-up': yes
  - name: r
    type: rest
    stages: { prod: { variables: { tenant: acme } } }
    routes:
      - route: GET /pets/{petId}
        integration:
          type: http_proxy
          uri: '${up.url}/animals/{id}/{kind}'
          requestParameters:
            integration.request.path.id: method.request.path.petId
            integration.request.path.kind: "'dog food'"
            integration.request.header.x-tenant: stageVariables.tenant
            integration.request.header.x-from-query: method.request.querystring.who
            integration.request.header.x-request: context.requestId
            integration.request.header.x-stage: context.stage
            integration.request.header.x-static: "'fixed value'"
            integration.request.header.x-absent: method.request.header.x-none
            integration.request.querystring.renamed: method.request.header.x-src
            integration.request.querystring.who: "'overwritten'"
`);
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  it('HTTP API: append/overwrite/remove headers from $request, $context, $stageVariables and static values', async () => {
    const r = await call(t.port, 'GET', '/h/users/42?page=1&drop=x&keep=%20a&page=9', {
      'x-mode': 'client',
      'x-secret': 's3cret',
      'x-src': 'from header',
    });
    assert.equal(r.status, 200);
    const rid = r.headers['x-amzn-requestid'] as string;
    assert.deepEqual(headerLines('x-user-id'), ['42']);
    assert.deepEqual(headerLines('x-mode'), ['static-mode'], 'overwrite replaces the client value');
    assert.deepEqual(headerLines('x-secret'), [], 'remove drops it');
    assert.deepEqual(headerLines('x-combined'), [`id=42;rid=${rid};r=eu`]);
    assert.deepEqual(headerLines('x-missing'), [], 'an absent source maps to nothing');
    assert.deepEqual(headerLines('x-route'), ['GET /users/{id}']);
    assert.equal(
      last().url,
      '/u/42?keep=%20a&added=from%20header&page=2',
      'query: other pairs byte for byte; append, overwrite, remove',
    );
  });

  it('HTTP API: overwrite:path, with a uri and with a named upstream', async () => {
    await call(t.port, 'GET', '/h/move/a/b?x=1');
    assert.equal(last().url, '/moved/a/b?x=1');
    await call(t.port, 'GET', '/h/pooled?q=1&z=2');
    assert.equal(last().url, '/base/elsewhere?z=2&q=v');
    assert.deepEqual(headerLines('x-up'), ['yes']);
  });

  it('REST requestParameters: path placeholders, headers and query from method.request.*, static, stageVariables, context', async () => {
    const r = await call(t.port, 'GET', '/prod/pets/7?who=me&other=1', { 'x-src': 'hdr' });
    assert.equal(r.status, 200);
    const rid = r.headers['x-amzn-requestid'] as string;
    assert.equal(last().url, '/animals/7/dog%20food?other=1&renamed=hdr&who=overwritten');
    assert.deepEqual(headerLines('x-tenant'), ['acme']);
    assert.deepEqual(headerLines('x-from-query'), ['me']);
    assert.deepEqual(headerLines('x-request'), [rid]);
    assert.deepEqual(headerLines('x-stage'), ['prod']);
    assert.deepEqual(headerLines('x-static'), ['fixed value']);
    assert.deepEqual(headerLines('x-absent'), []);
  });

  it('mapping errors are config errors at the mapping key', async () => {
    const bad = async (params: string, want: RegExp) => {
      await assert.rejects(
        startTestGateway(`
version: 1
apis:
  - name: b
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /x
        integration: { type: http_proxy, uri: 'http://127.0.0.1:9/x', requestParameters: { ${params} } }
`),
        (err: Error) => {
          assert.match(err.message, want);
          return true;
        },
      );
    };
    await bad(`'append:header.host': 'x'`, /requestParameters\["append:header\.host"\]: header "host" is reserved/);
    await bad(`'append:header.x': '$request.body.name'`, /\$request\.body is not supported/);
    await bad(`'append:header.x': '$context.nope'`, /unknown context variable "nope"/);
    await bad(`'append:path': '/x'`, /the path can only be overwritten/);
    await bad(`'rename:header.x': 'y'`, /unknown mapping "rename:header\.x"/);
    await bad(`integration.request.header.x: method.request.cookie.y`, /unknown source "method\.request\.cookie\.y"/);
  });
});
