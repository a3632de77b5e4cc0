// The demo's sample services (the AWS tutorial backends) on 0.0.0.0, for deploy/compose.yaml.
// Usage: node samples.mjs KIND PORT [NAME]   (KIND: greeting | books | authors)
import { startSample } from './dist/samples/index.js';

const [kind, port, name] = process.argv.slice(2);
if (!['greeting', 'books', 'authors'].includes(kind) || !/^\d+$/.test(port ?? '')) {
  process.stderr.write('usage: node samples.mjs greeting|books|authors PORT [NAME]\n');
  process.exit(2);
}
const s = await startSample(kind, { host: '0.0.0.0', port: Number(port), name: name ?? kind });
process.stdout.write(`${s.name} on ${s.url}\n`);
const stop = () => s.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
