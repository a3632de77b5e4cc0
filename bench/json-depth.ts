/**
 * Bodies Portico parses (docs/security.md#bodies-portico-parses): the CPU one request costs at the
 * bounds, and the longest the event loop is blocked by it. A real gateway in this process, a
 * validated route with a recursive schema (the validator walks the body as deep as it nests), and
 * one request at a time over a real socket, for:
 *   - a 9 MB `[[[…]]]` (4.5 M levels): refused by the depth scan before any parse;
 *   - the largest body accepted at the deepest nesting: ~9.9 MB of 64-deep arrays, parsed and validated;
 *   - a 9.9 MB flat array of numbers, parsed and validated.
 * Usage: npm run bench:json-depth  (or: node --import tsx bench/json-depth.ts [--requests N])
 * Timings are printed, never asserted (they depend on the machine).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startGateway } from '../src/index.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : (process.argv[i + 1] ?? dflt);
};
const requests = Number(arg('requests', '10'));
const MB = 1024 * 1024;

function fill(unit: string, open: string, close: string, bytes: number): Buffer {
  const n = Math.floor((bytes - open.length - close.length) / (unit.length + 1));
  return Buffer.from(open + Array.from({ length: n }, () => unit).join(',') + close);
}
const deep64 = '['.repeat(63) + ']'.repeat(63);
const bodies: [string, Buffer][] = [
  ['9 MB [[[…]]] (4.5 M levels)', Buffer.from('['.repeat(4.5 * MB) + ']'.repeat(4.5 * MB))],
  ['9.9 MB of 64-deep arrays', fill(deep64, '[', ']', 9.9 * MB)],
  ['9.9 MB flat array of numbers', fill('12345', '[', ']', 9.9 * MB)],
];

function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/b/nested',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const dir = await mkdtemp(join(tmpdir(), 'portico-bench-'));
const configPath = join(dir, 'portico.yaml');
await writeFile(
  configPath,
  `version: 1
apis:
  - name: b
    type: rest
    stages: { b: {} }
    routes:
      - route: POST /nested
        integration: { type: mock, statusCode: 200, body: fine }
        requestValidation:
          bodySchema: { type: array, items: { $ref: '#' } }
`,
);
const gw = await startGateway({
  configPath,
  listen: '127.0.0.1:0',
  adminListen: '127.0.0.1:0',
  watch: false,
  logLevel: 'silent',
});
const port = Number(new URL(gw.url).port);
console.log(`node ${process.version}, ${requests} requests each, one at a time`);
console.log('| body | status | CPU per request | CPU per MB | longest event-loop block |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, body] of bodies) {
  await post(port, body); // warm-up
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu = process.cpuUsage();
  let status = 0;
  for (let i = 0; i < requests; i++) status = await post(port, body);
  const used = process.cpuUsage(cpu);
  loop.disable();
  const perRequest = (used.user + used.system) / 1000 / requests;
  const mb = body.length / MB;
  console.log(
    `| ${name} | ${status} | ${perRequest.toFixed(1)} ms | ${(perRequest / mb).toFixed(1)} ms | ${(loop.max / 1e6).toFixed(0)} ms |`,
  );
}
await gw.close();
await rm(dir, { recursive: true, force: true });
