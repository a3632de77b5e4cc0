// fast-gateway 5 (restana + fast-proxy-lite, keep-alive agent) as bench scenario 3, the Node gateway the issue's
// full-chain target is quoted against: its README's gateway() with one route to the backend.
// It is loaded from bench/.peers/ (bench/setup.sh installs it there), never from Portico's dependencies.
// Usage: node bench/peers/fast-gateway.mjs --port 0 --target http://127.0.0.1:PORT   (prints the bound port)
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, target: { type: 'string' } },
  strict: true,
});
if (!values.target) {
  console.error('usage: node bench/peers/fast-gateway.mjs --port 0 --target http://127.0.0.1:PORT');
  process.exit(2);
}
const require = createRequire(new URL('../.peers/package.json', import.meta.url));
const gateway = require('fast-gateway');

const server = gateway({
  enableServicesEndpoint: false,
  routes: [{ prefix: '/api', prefixRewrite: '/api', target: values.target }],
});
const http = await server.start(Number(values.port), '127.0.0.1');
process.stdout.write(`${http.address().port}\n`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
