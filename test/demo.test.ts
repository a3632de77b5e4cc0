import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEMO_CONFIG, startDemoBackends } from '../src/cli/demo.js';
import { startGateway } from '../src/index.js';
import { spawnCli } from './helpers/cli.js';
import { fixture } from './helpers/fixtures.js';

const CORPUS = fixture('corpus', 'backends');

async function startDemo() {
  const { samples, env } = await startDemoBackends();
  const gw = await startGateway({
    configPath: DEMO_CONFIG,
    env: { ...process.env, ...env },
    listen: '127.0.0.1:0',
    adminListen: '127.0.0.1:0',
    watch: false,
    logLevel: 'silent',
  });
  return {
    url: gw.url,
    async close() {
      await gw.close();
      await Promise.all(samples.map((s) => s.close()));
    },
  };
}

describe('the demo (both tutorial scenarios through examples/demo/portico.yaml)', () => {
  test('REST API, production stage, ANY /{proxy+} → greeting', async (t) => {
    const demo = await startDemo();
    t.after(() => demo.close());
    const res = await fetch(`${demo.url}/production/api/greeting`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '{"id":1,"content":"Hello, World!"}');
    const named = await fetch(`${demo.url}/production/api/greeting?name=Portico`);
    assert.equal(await named.text(), '{"id":2,"content":"Hello, Portico!"}');
    const root = await fetch(`${demo.url}/production`);
    assert.equal(root.status, 403);
    assert.equal(await root.text(), '{"message":"Missing Authentication Token"}');
  });

  test('HTTP API, $default stage: /api/books and /api/authors each served by two instances', async (t) => {
    const demo = await startDemo();
    t.after(() => demo.close());
    for (const [path, names] of [
      ['/api/books', ['books-1', 'books-2']],
      ['/api/authors', ['authors-1', 'authors-2']],
    ] as const) {
      const servedBy: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${demo.url}${path}`);
        assert.equal(res.status, 200);
        servedBy.push(res.headers.get('x-served-by') ?? '');
        const body = await res.text();
        const corpusFile = join(
          CORPUS,
          `aws-samples_http-api-aws-fargate-cdk__captured__GET${path.replaceAll('/', '_')}.response.json`,
        );
        assert.equal(body, readFileSync(corpusFile, 'utf8').trim());
      }
      assert.deepEqual(servedBy.sort(), [names[0], names[0], names[1], names[1]]);
    }
    const one = await fetch(`${demo.url}/api/books/2`);
    assert.equal(((await one.json()) as { title: string }).title, 'Mastering AWS Security');
    const health = await fetch(`${demo.url}/api/authors/health`);
    assert.match(await health.text(), /Welcome to Authors Service/);
    const miss = await fetch(`${demo.url}/nope`);
    assert.equal(miss.status, 404);
    assert.equal(await miss.text(), '{"message":"Not Found"}');
  });

  test('`portico demo` prints the gateway URL and curl commands, serves, and stops on SIGTERM', async (t) => {
    const proc = spawnCli(['demo', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0']);
    t.after(() => proc.kill('SIGKILL'));
    const m = await proc.waitFor(/Gateway: {2}(http:\/\/127\.0\.0\.1:\d+)/);
    await proc.waitFor(/Press Ctrl\+C to stop\./);
    assert.match(proc.stdout(), /curl http:\/\/127\.0\.0\.1:\d+\/production\/api\/greeting/);
    // The dashboard's bundle comes from dist/ (npm run build), not built at run time.
    const dash = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/dashboard\/)/.exec(proc.stdout());
    assert.ok(dash, proc.stdout());
    const bundle = await fetch(`${dash[1]}app.js`);
    assert.equal(bundle.status, 200);
    assert.match(await bundle.text(), /portico\.adminToken/);
    const res = await fetch(`${m[1]}/production/api/greeting`);
    assert.equal(await res.text(), '{"id":1,"content":"Hello, World!"}');
    proc.kill('SIGTERM');
    assert.equal(await proc.exited, 0);
  });
});
