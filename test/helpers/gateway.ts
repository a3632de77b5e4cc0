import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Gateway, startGateway, type StartOptions } from '../../src/index.js';

export interface TestGateway {
  gw: Gateway;
  url: string;
  port: number;
  dir: string;
  configPath: string;
  /** Rewrites the config file (does not reload). */
  write(yaml: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a real gateway on 127.0.0.1:0 from YAML text written to a fresh temp dir. */
export async function startTestGateway(yaml: string, opts: Partial<StartOptions> = {}): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-test-'));
  const configPath = join(dir, 'portico.yaml');
  await writeFile(configPath, yaml);
  const gw = await startGateway({
    configPath,
    listen: '127.0.0.1:0',
    adminListen: '127.0.0.1:0',
    watch: false,
    logLevel: 'silent',
    ...opts,
  });
  return {
    gw,
    url: gw.url,
    port: Number(new URL(gw.url).port),
    dir,
    configPath,
    write: (text) => writeFile(configPath, text),
    async close() {
      await gw.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestUpstream {
  server: Server;
  url: string;
  port: number;
  /** Every request seen: method, url, headers and raw headers. */
  requests: { method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[] }[];
  close(): Promise<void>;
}

/** A real upstream on 127.0.0.1:0. The default handler echoes method, url and headers as JSON. */
export async function startUpstream(handler?: RequestListener): Promise<TestUpstream> {
  const requests: TestUpstream['requests'] = [];
  const echo = (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    (handler ?? echo)(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Sends raw bytes on a new socket and returns everything the server sent until it closed (or timeoutMs). */
export function rawRequest(port: number, payload: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1', () => sock.write(payload));
    const timer = setTimeout(() => sock.destroy(), timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      if (chunks.length) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}
