import type { IncomingMessage, ServerResponse } from 'node:http';
import { ManualClock } from '../../src/clock.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';

export interface CacheRig {
  gw: TestGateway;
  up: TestUpstream;
  clock: ManualClock;
  close(): Promise<void>;
}

/** A counting upstream: answers `{"n": <request number>, "url": ...}`, or whatever `handler` says. */
export async function startCacheRig(
  stageCache: string,
  opts: {
    routes?: string;
    handler?: (req: IncomingMessage, res: ServerResponse, n: number) => void;
    /** Top-level YAML (e.g. server: ...). */
    extra?: string;
    /** API-level YAML lines (e.g. authorizers), indented 4. */
    apiExtra?: string;
  } = {},
): Promise<CacheRig> {
  let n = 0;
  const up = await startUpstream((req, res) => {
    n++;
    if (opts.handler) return opts.handler(req, res, n);
    const body = JSON.stringify({ n, url: req.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const routes =
    opts.routes ??
    ['      - route: ANY /{proxy+}', `        integration: { type: http_proxy, uri: "${up.url}/{proxy}" }`].join('\n');
  const yaml = [
    'version: 1',
    opts.extra ?? '',
    'apis:',
    '  - name: shop',
    '    type: rest',
    '    stages:',
    `      prod: { cache: ${stageCache} }`,
    opts.apiExtra ?? '',
    '    routes:',
    routes.replaceAll('UPSTREAM', up.url),
    '',
  ].join('\n');
  const clock = new ManualClock();
  const gw = await startTestGateway(yaml, { clock });
  return {
    gw,
    up,
    clock,
    async close() {
      await gw.close();
      await up.close();
    },
  };
}
