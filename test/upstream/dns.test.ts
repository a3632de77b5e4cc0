import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as dnsPacket from 'dns-packet';
import { countBy, FaultServer, gatewayWith, load, runtimeOf, send, upstreamYaml, waitFor } from './upstream-helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A tiny authoritative DNS server on loopback UDP: A records from a map the test edits, TTL 0. */
async function dnsServer(
  t: TestContext,
): Promise<{ port: number; records: Map<string, string[]>; queries: () => number; stop(): void }> {
  const records = new Map<string, string[]>();
  let queries = 0;
  const sock: Socket = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    queries++;
    const q = dnsPacket.decode(msg);
    const question = q.questions?.[0];
    if (!question) return;
    const ips = question.type === 'A' ? (records.get(question.name.toLowerCase()) ?? []) : [];
    const answers = ips.map((ip) => ({
      type: 'A' as const,
      name: question.name,
      ttl: 0,
      class: 'IN' as const,
      data: ip,
    }));
    const reply = dnsPacket.encode({
      id: q.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER,
      questions: q.questions,
      answers,
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  let closed = false;
  const stop = () => {
    if (!closed) sock.close();
    closed = true;
  };
  t.after(stop);
  return { port: (sock.address() as AddressInfo).port, records, queries: () => queries, stop };
}

test('DNS discovery: a host name target expands to all its A records; addresses join and leave without a reload', async (t) => {
  const dns = await dnsServer(t);
  const a = await new FaultServer('a', '127.0.0.2').start();
  const b = await new FaultServer('b', '127.0.0.3').start(a.port);
  t.after(() => Promise.all([a.close(), b.close()]));
  dns.records.set('svc.test', ['127.0.0.2']);
  const gw = await gatewayWith(
    t,
    upstreamYaml([
      `targets: [{ url: "http://svc.test:${a.port}" }]`,
      `dns: { servers: ["127.0.0.1:${dns.port}"], refreshMs: 200, minRefreshMs: 50 }`,
    ]),
  );
  const rt = runtimeOf(gw);
  const revision = gw.gw.snapshot.revision;
  assert.deepEqual(
    rt.endpoints.map((e) => e.address),
    ['127.0.0.2'],
  );
  assert.deepEqual(countBy(await load(10, 2, () => send(gw.port, 'GET', '/x'))), { a: 10 });
  assert.equal(a.lastHost, `svc.test:${a.port}`, 'the upstream sees the target host name, not the address');

  dns.records.set('svc.test', ['127.0.0.2', '127.0.0.3']);
  await waitFor('b joins', () => rt.endpoints.length === 2);
  assert.deepEqual(countBy(await load(20, 2, () => send(gw.port, 'GET', '/x'))), { a: 10, b: 10 });

  dns.records.set('svc.test', ['127.0.0.3']);
  await waitFor('a leaves', () => rt.endpoints.length === 1);
  assert.deepEqual(countBy(await load(10, 2, () => send(gw.port, 'GET', '/x'))), { b: 10 });
  assert.equal(gw.gw.snapshot.revision, revision, 'no reload happened');

  // The DNS server goes away: the last answer is kept and the failure shows in the status.
  dns.stop();
  const st = rt.status() as { dns: { addresses: string[] }[] };
  assert.deepEqual(st.dns[0]!.addresses, ['127.0.0.3']);
  await waitFor(
    'resolution error shown',
    () => (rt.status() as { dns: { error: string | null }[] }).dns[0]!.error !== null,
    10000,
  );
  assert.deepEqual(countBy(await load(5, 1, () => send(gw.port, 'GET', '/x'))), { b: 5 });
});

test('HTTPS targets: verified against a configured CA with SNI; unknown CA or wrong name fails', async (t) => {
  const seen: string[] = [];
  const server = createHttpsServer(
    { key: readFileSync(join(FIXTURES, 'server.key')), cert: readFileSync(join(FIXTURES, 'server.pem')) },
    (req, res) => {
      seen.push(String((req.socket as { servername?: string }).servername));
      res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': 'tls' });
      res.end(`host=${req.headers.host}`);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  server.on('connection', (s) => t.after(() => s.destroy()));
  const port = (server.address() as AddressInfo).port;
  const dns = await dnsServer(t);
  dns.records.set('svc.test', ['127.0.0.1']);
  const caFile = join(FIXTURES, 'ca.pem');

  // A host name target: resolved by DNS, SNI and Host from the name.
  const named = await gatewayWith(
    t,
    upstreamYaml([
      `targets: [{ url: "https://svc.test:${port}" }]`,
      `dns: { servers: ["127.0.0.1:${dns.port}"] }`,
      `tls: { caFile: "${caFile}" }`,
    ]),
  );
  const r1 = await send(named.port, 'GET', '/x');
  assert.equal(r1.status, 200, r1.body);
  assert.equal(r1.body, `host=svc.test:${port}`);
  assert.equal(seen.at(-1), 'svc.test');

  // An address target with an explicit serverName.
  const byIp = await gatewayWith(
    t,
    upstreamYaml([
      `targets: [{ url: "https://127.0.0.1:${port}" }]`,
      `tls: { caFile: "${caFile}", serverName: svc.test }`,
    ]),
  );
  assert.equal((await send(byIp.port, 'GET', '/x')).status, 200);
  assert.equal(seen.at(-1), 'svc.test');

  // System CAs only: our test CA is not trusted.
  const untrusted = await gatewayWith(
    t,
    upstreamYaml([
      `targets: [{ url: "https://127.0.0.1:${port}" }]`,
      'tls: { serverName: svc.test }',
      'retries: { attempts: 0 }',
    ]),
  );
  assert.equal((await send(untrusted.port, 'GET', '/x')).status, 500);
  // A name the certificate does not cover.
  const wrong = await gatewayWith(
    t,
    upstreamYaml([
      `targets: [{ url: "https://127.0.0.1:${port}" }]`,
      `tls: { caFile: "${caFile}", serverName: other.test }`,
      'retries: { attempts: 0 }',
    ]),
  );
  assert.equal((await send(wrong.port, 'GET', '/x')).status, 500);
});
