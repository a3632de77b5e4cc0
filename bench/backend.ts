// The bench backend, a child process of bench/run.ts so its CPU is its own: the greeting sample
// (`GET /api/greeting`, src/samples/greeting.ts) plus `POST /api/upload`, which reads the whole request body
// and answers `{"received": <bytes>}` (scenario 10, the 1 MB POST).
// Usage: node --import tsx bench/backend.ts [--port 0]   (prints its URL, e.g. http://127.0.0.1:40123, on stdout)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createGreetingListener } from '../src/samples/index.js';

const UPLOAD_PATH = '/api/upload';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } }, strict: true });
const greeting = createGreetingListener('greeting-bench');
const server = createServer((req, res) => {
  if (req.url !== UPLOAD_PATH || req.method !== 'POST') return greeting(req, res);
  let received = 0;
  req.on('data', (chunk: Buffer) => (received += chunk.length));
  req.on('end', () => {
    const body = JSON.stringify({ received });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
// Longer than any proxy's idle pool timeout in front of it (as createSampleServer does).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    setTimeout(() => process.exit(0), 2000).unref();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
