import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createTestCa } from './certs.js';
import { freePort } from './redis.js';
import { requireBinary } from './require-binary.js';

export const PEBBLE_INSTALL = 'apt-get install -y pebble';

/**
 * pebble (Let's Encrypt's ACME test server, Debian package `pebble`) on loopback: its directory over
 * HTTPS with a certificate made here for 127.0.0.1/localhost (the package ships none), and
 * pebble-challtestsrv (same package) as its DNS server only, answering 127.0.0.1 for every name.
 * HTTP-01 validations go to 127.0.0.1:<httpPort>, the gateway's plain listener.
 */
export interface Pebble {
  /** https://127.0.0.1:<port>/dir */
  directory: string;
  /** The CA of pebble's own HTTPS certificate (PEM), for acme.caBundle. */
  caFile: string;
  /** pebble's management interface, https (roots, intermediates): fetch with `ca`. */
  managementUrl: string;
  ca: string;
  /** Stops pebble (not the DNS server); `start` runs it again with the same ports (new CA keys). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

async function waitFor(child: ChildProcess, log: () => string, pattern: RegExp, what: string): Promise<void> {
  // Bounded: 200 × 25 ms.
  for (let i = 0; i < 200; i++) {
    if (pattern.test(log())) return;
    if (child.exitCode !== null) throw new Error(`${what} exited at start: ${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not start: ${log()}`);
}

/** Starts pebble and its DNS server, or returns undefined after skipping the test (PORTICO_REQUIRE_ALL=1: throws). */
export async function startPebble(t: TestContext, httpPort: number): Promise<Pebble | undefined> {
  const bin = requireBinary(t, 'pebble', PEBBLE_INSTALL);
  const dnsBin = bin && requireBinary(t, 'pebble-challtestsrv', PEBBLE_INSTALL);
  if (!bin || !dnsBin) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'portico-pebble-'));
  const ca = await createTestCa('Pebble HTTPS Test CA');
  const leaf = await ca.leaf(['localhost', '127.0.0.1']);
  await writeFile(join(dir, 'cert.pem'), leaf.cert);
  await writeFile(join(dir, 'key.pem'), leaf.key);
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.cert);
  const [port, mgmt, tlsPort, dns, dnsMgmt] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  await writeFile(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const spawnLogged = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    let out = '';
    const c = spawn(file, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
    return { c, log: () => out };
  };
  const dnsSrv = spawnLogged(dnsBin, [
    '-defaultIPv4',
    '127.0.0.1',
    '-defaultIPv6',
    '',
    '-dns01',
    `127.0.0.1:${dns}`,
    '-http01',
    '',
    '-https01',
    '',
    '-tlsalpn01',
    '',
    '-management',
    `127.0.0.1:${dnsMgmt}`,
  ]);
  await waitFor(dnsSrv.c, dnsSrv.log, /Starting management server/, 'pebble-challtestsrv');
  const env = { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' };
  let pebble: ReturnType<typeof spawnLogged> | undefined;
  const start = async () => {
    pebble = spawnLogged(bin, ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dns}`], env);
    await waitFor(pebble.c, pebble.log, /Listening on/, 'pebble');
  };
  const stopOne = async (c: ChildProcess | undefined) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    directory: `https://127.0.0.1:${port}/dir`,
    caFile,
    ca: ca.cert,
    managementUrl: `https://127.0.0.1:${mgmt}`,
    stop: () => stopOne(pebble?.c),
    start,
    async close() {
      await stopOne(pebble?.c);
      await stopOne(dnsSrv.c);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
