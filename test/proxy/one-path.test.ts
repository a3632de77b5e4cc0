import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ForwardIntegration } from '../../src/forward/exchange.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { startTestGateway } from '../helpers/gateway.js';
import { startRawUpstream, waitFor } from './proxy-helpers.js';

// A URI integration is an upstream of one target (docs/architecture.md, "One forwarding path"):
// both kinds of http_proxy route run the same exchange, and so record a failure the same way.
for (const kind of ['uri', 'upstream'] as const) {
  test(`a ${kind} route: a reset mid-body is cut, logged with the status sent and the error (one forwarding path)`, async (t) => {
    let clientHasHead = false;
    const up = await startRawUpstream(t, (socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789');
        waitFor('the client to get the response head', () => clientHasHead).then(
          () => socket.resetAndDestroy(),
          () => socket.destroy(),
        );
      });
    });
    const integration =
      kind === 'uri' ? `{ type: http_proxy, uri: "${up.origin}/cut" }` : '{ type: http_proxy, upstream: svc }';
    const gw = await startTestGateway(
      [
        'version: 1',
        `upstreams: { svc: { targets: [{ url: "${up.origin}" }], retries: { attempts: 0 }, outlierDetection: { enabled: false } } }`,
        'apis:',
        '  - name: a',
        '    type: http',
        '    stages: { $default: {} }',
        '    routes:',
        '      - route: GET /cut',
        `        integration: ${integration}`,
        '',
      ].join('\n'),
    );
    t.after(() => gw.close());
    const done: RequestContext[] = [];
    gw.gw.runtime.requestDone.unshift((ctx: RequestContext) => done.push(ctx));
    const route = gw.gw.snapshot.apis[0]?.routes[0];
    assert.ok(
      route?.pipelines[0]?.integration instanceof ForwardIntegration,
      'both kinds compile to the one ForwardIntegration',
    );

    const res = await fetch(`${gw.url}/cut`);
    clientHasHead = true;
    assert.equal(res.status, 200);
    await assert.rejects(res.arrayBuffer());
    await waitFor('the request to finish', () => done.length === 1);
    const ctx = done[0] as RequestContext;
    assert.equal(ctx.status, 200);
    assert.equal(ctx.integrationStatus, 200);
    assert.equal(ctx.upstreamOrigin, up.origin);
    // The URI path used to drop the error of a mid-body cut; the upstream path recorded it.
    assert.ok(ctx.integrationError instanceof Error, 'the mid-body failure is recorded');
  });
}
