/**
 * WAF micro-benchmark: the CPU time the web ACL adds to one request, calling the engine directly
 * (no sockets), with the three managed groups on plus an IP set and a rate-based rule, for
 *   - a typical GET (path, 4 query arguments, browser-like headers and a cookie), and
 *   - a 16 KB JSON POST (the body inspected up to the 16 KB default limit).
 * Usage: npm run bench:waf  (or: node --import tsx bench/waf.ts [--iterations N] [--sensitivity HIGH])
 * Timings are printed, never asserted (they depend on the machine).
 */
import { compileAcl } from '../src/waf/engine.js';
import { MemoryRateCounterStore } from '../src/waf/rate.js';
import { WafRequest } from '../src/waf/request.js';
import { webAclSchema } from '../src/waf/schema.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : (process.argv[i + 1] ?? dflt);
};
const iterations = Number(arg('iterations', '20000'));
const sensitivity = arg('sensitivity', 'LOW') as 'LOW' | 'HIGH';

const acl = compileAcl(
  webAclSchema.parse({
    defaultAction: { allow: {} },
    rules: [
      {
        name: 'blocklist',
        priority: 0,
        action: { block: {} },
        statement: { ipSetReferenceStatement: { addresses: ['203.0.113.0/24', '2001:db8::/32'] } },
      },
      {
        name: 'flood',
        priority: 1,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: 2_000_000_000, aggregateKeyType: 'IP' } },
      },
      ...['PorticoSQLiRuleSet', 'PorticoXSSRuleSet', 'PorticoKnownBadInputsRuleSet'].map((name, i) => ({
        name,
        priority: 10 + i,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { name, sensitivityLevel: sensitivity } },
      })),
    ],
  }),
  {
    issue: (p, m) => {
      throw new Error(`${p.join('.')}: ${m}`);
    },
    ipSets: {},
    regexSets: {},
    geo: undefined,
    counters: () => counters,
  },
  { name: 'bench' },
);
const counters = new MemoryRateCounterStore();

const headers = {
  host: 'api.example.com',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'gzip, deflate, br',
  referer: 'https://shop.example.com/catalogue?page=2',
  cookie: 'session=5f2b8c1e9a7d4e3f; theme=dark; consent=yes',
};
const get = () =>
  new WafRequest({
    method: 'GET',
    uriPath: '/v1/products/12345/reviews',
    queryString: 'page=2&sort=-date&q=noise%20cancelling%20headphones&lang=en',
    headers,
    clientIp: '198.51.100.23',
  });

const items = [];
for (let i = 0; items.length === 0 || JSON.stringify(items).length < 16 * 1024 - 200; i++) {
  items.push({
    id: i,
    sku: `SKU-${1000 + i}`,
    name: `Product ${i} with a fairly ordinary name`,
    price: 19.99 + i,
    tags: ['blue', 'cotton', "men's"],
    note: `Customer's note #${i}: leave at the door, don't ring.`,
  });
}
const json = Buffer.from(
  JSON.stringify({ orderId: 'A-1001', customer: { name: "Siobhan O'Neill", email: 'siobhan@example.com' }, items }),
);
const post = () =>
  new WafRequest({
    method: 'POST',
    uriPath: '/v1/orders',
    headers: { ...headers, 'content-type': 'application/json', 'content-length': String(json.length) },
    clientIp: '198.51.100.23',
    body: json,
    bodySize: json.length,
  });

function run(label: string, make: () => WafRequest): void {
  // warm up, and make sure the request is allowed (a block would short-circuit the work)
  for (let i = 0; i < 500; i++) {
    const r = acl.evaluate(make(), i).result;
    if (r.action !== 'ALLOW') throw new Error(`${label} was blocked by ${r.ruleIds.join(', ')}`);
  }
  const start = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) acl.evaluate(make(), i);
  const cpu = process.cpuUsage(start);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpuUs = (cpu.user + cpu.system) / iterations;
  console.log(`| ${label} | ${iterations} | ${cpuUs.toFixed(1)} | ${(wallNs / 1000 / iterations).toFixed(1)} |`);
}

console.log(
  `WAF micro-benchmark: managed SQLi + XSS + known bad inputs (${sensitivity}), IP set, rate rule; Node ${process.version}\n`,
);
console.log('| request | iterations | CPU µs / request | wall µs / request |');
console.log('|---|---:|---:|---:|');
run('GET, 4 query args, 7 headers, cookie', get);
run(`POST, ${(json.length / 1024).toFixed(1)} KB JSON body`, post);
