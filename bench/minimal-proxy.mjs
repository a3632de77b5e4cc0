// The "bare Node floor": node:http in front of an undici Pool (keep-alive), no routing, no policies, no logging.
// Portico's plain proxy path is measured against it. The usual minimal undici proxy (a Pool per upstream, the
// request piped in and the answer piped back); it forwards every path and binds a port given on the command line.
// Usage: node bench/minimal-proxy.mjs --port 0 --target http://127.0.0.1:3000   (prints the bound port on stdout)
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    target: { type: 'string' },
  },
  strict: true,
});
if (!values.target) {
  console.error('usage: node bench/minimal-proxy.mjs --port 0 --target http://127.0.0.1:PORT');
  process.exit(2);
}

const pool = new Pool(values.target, {
  connections: 128,
  pipelining: 1,
  keepAliveTimeout: 60e3,
  keepAliveMaxTimeout: 600e3,
});
// RFC 9110 §7.6.1 hop-by-hop headers, plus host (undici sets it from the origin).
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);
const strip = (headers) => {
  const out = {};
  for (const k in headers) if (!HOP.has(k)) out[k] = headers[k];
  return out;
};
const fail = (res, err) => {
  if (res.headersSent) return res.destroy(err);
  res.writeHead(502, { 'content-type': 'text/plain' });
  res.end('bad gateway');
};

const server = createServer((req, res) => {
  const headers = strip(req.headers);
  if (req.socket.remoteAddress) headers['x-forwarded-for'] = req.socket.remoteAddress;
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
  // pool.stream writes the upstream body straight into res: no intermediate Readable per request.
  pool
    .stream({ path: req.url, method: req.method, headers, body }, ({ statusCode, headers: upstream }) => {
      res.writeHead(statusCode, strip(upstream));
      return res;
    })
    .catch((err) => fail(res, err));
});
server.listen(Number(values.port), values.host, () => process.stdout.write(`${server.address().port}\n`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
