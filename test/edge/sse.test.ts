import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type ServerResponse } from 'node:http';
import { test, type TestContext } from 'node:test';
import { gatewayFor, proxyYaml, upstreamFor } from '../proxy/proxy-helpers.js';

// Server-sent events stream through http_proxy with no buffering (docs/edge.md#server-sent-events): the
// client reads the first event while the upstream still holds the second, released only by the test.

async function streamsUnbuffered(t: TestContext, stageCache: boolean): Promise<void> {
  let upstreamRes: ServerResponse | undefined;
  let arrived: () => void = () => {};
  const upstreamReady = new Promise<void>((r) => (arrived = r));
  const up = await upstreamFor(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('event: tick\ndata: one\n\n');
    upstreamRes = res;
    arrived();
  });
  let yaml = proxyYaml(up.url).replace('apis:', 'observability: { metrics: { processMetrics: false } }\napis:');
  if (stageCache)
    yaml = yaml.replace(
      'stages: { "$default": {} }',
      'stages: { "$default": { cache: { enabled: true, ttlSeconds: 300 } } }',
    );
  const gw = await gatewayFor(t, yaml);
  const req = request(`${gw.url}/events`, { headers: { accept: 'text/event-stream', 'accept-encoding': 'gzip' } });
  req.end();
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  t.after(() => res.destroy());
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/event-stream');
  await upstreamReady;
  const [first] = (await once(res, 'data')) as [Buffer];
  // The upstream has not sent the second event yet: the first arrived on its own.
  assert.equal(first.toString(), 'event: tick\ndata: one\n\n');
  upstreamRes!.write('event: tick\ndata: two\n\n');
  const [second] = (await once(res, 'data')) as [Buffer];
  assert.equal(second.toString(), 'event: tick\ndata: two\n\n');
  upstreamRes!.end();
}

test('an event-stream event reaches the client before the upstream sends the next one', (t) =>
  streamsUnbuffered(t, false));

test('the same with the stage cache on (a cacheable GET is teed, not held)', (t) => streamsUnbuffered(t, true));
