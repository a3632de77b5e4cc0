import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Agent, request } from 'undici';
import { type RacyUpstream, startRacyUpstream } from '../helpers/racy-upstream.js';
import { gatewayWith } from './upstream-helpers.js';

async function racyUpstream(t: TestContext): Promise<RacyUpstream> {
  const up = await startRacyUpstream();
  t.after(() => up.close());
  return up;
}

const N = 400;

for (const kind of ['uri', 'upstream'] as const) {
  test(`stale keep-alive resets are retried transparently: 0 client errors in ${N} GETs (${kind} integration)`, async (t) => {
    const up = await racyUpstream(t);
    const origin = `http://127.0.0.1:${up.port}`;
    const integration =
      kind === 'uri' ? `{ type: http_proxy, uri: "${origin}/{proxy}" }` : '{ type: http_proxy, upstream: svc }';
    const gw = await gatewayWith(
      t,
      [
        'version: 1',
        'admin: { enabled: false }',
        'server: { timeouts: { drainMs: 1000 } }',
        // Attempts 0: only the stale-socket retry is left, so this measures that alone.
        `upstreams: { svc: { targets: [{ url: "${origin}" }], retries: { attempts: 0 }, outlierDetection: { enabled: false } } }`,
        'apis:',
        '  - name: a',
        '    type: http',
        '    stages: { $default: {} }',
        '    routes:',
        `      - route: ANY /{proxy+}`,
        `        integration: ${integration}`,
        '',
      ].join('\n'),
    );
    const client = new Agent({ connections: 8 });
    t.after(() => client.close());
    let errors = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < N) {
          const r = await request(`${gw.url}/ka`, { dispatcher: client });
          await r.body.text();
          if (r.statusCode !== 200) errors++;
        }
      }),
    );
    t.diagnostic(`${kind}: ${errors} client errors in ${N} GETs; the upstream saw ${up.requests()} requests`);
    assert.equal(errors, 0);
  });
}
