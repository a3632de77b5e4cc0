// The greeting sample backend on its own, for bench/run.ts: a child process, so its CPU is its own.
// Usage: node --import tsx bench/backend.ts [--port 0]   (prints its URL, e.g. http://127.0.0.1:40123, on stdout)
import { parseArgs } from 'node:util';
import { startSample } from '../src/samples/index.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } }, strict: true });
const backend = await startSample('greeting', { name: 'greeting-bench', port: Number(values.port) });
process.stdout.write(`${backend.url}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // close() also drops idle keep-alive sockets; the timer is a backstop, not the normal path.
    setTimeout(() => process.exit(0), 2000).unref();
    void backend.close().then(() => process.exit(0));
  });
}
