import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import type { RequestListener } from 'node:http';

/** Options for proxyYaml: one API with `ANY /{proxy+}` → the upstream. */
export interface ProxyYamlOptions {
  type?: 'rest' | 'http';
  /** Lines under `server:` (already indented by 2). */
  server?: string[];
  timeoutMs?: number;
}

/**
 * A config with one API proxying every path to `origin`. http APIs use the $default stage (no
 * prefix); rest APIs use stage `prod`, so their URLs start with /prod.
 */
export function proxyYaml(origin: string, opts: ProxyYamlOptions = {}): string {
  const type = opts.type ?? 'http';
  const stage = type === 'http' ? '$default' : 'prod';
  const timeout = opts.timeoutMs === undefined ? '' : `, timeoutMs: ${opts.timeoutMs}`;
  return [
    'version: 1',
    'admin: { enabled: false }',
    'server:',
    // A failed test may leave a request in flight; don't let close() wait the default 30 s for it.
    ...(opts.server?.some((l) => l.startsWith('timeouts:')) ? [] : ['  timeouts: { drainMs: 1000 }']),
    ...(opts.server ?? []).map((l) => `  ${l}`),
    'apis:',
    '  - name: proxied',
    `    type: ${type}`,
    `    stages: { "${stage}": {} }`,
    '    routes:',
    '      - route: ANY /{proxy+}',
    `        integration: { type: http_proxy, uri: "${origin}/{proxy}"${timeout} }`,
    '',
  ].join('\n');
}

/** Starts a gateway and registers its close with the test. */
export async function gatewayFor(t: TestContext, yaml: string): Promise<TestGateway> {
  const gw = await startTestGateway(yaml);
  t.after(() => gw.close());
  return gw;
}

/** Starts a recording upstream (see startUpstream) and registers its close with the test. */
export async function upstreamFor(t: TestContext, handler?: RequestListener): Promise<TestUpstream> {
  const up = await startUpstream(handler);
  t.after(() => up.close());
  return up;
}

export interface RawResponse {
  status: number;
  /** Header lines in order, names as sent. */
  headers: [name: string, value: string][];
  /** Body bytes as latin1, still chunk-encoded if the response was chunked. */
  body: string;
  /** Every value of a header (case-insensitive name). */
  all(name: string): string[];
  get(name: string): string | undefined;
}

/** Parses the first response out of raw bytes from rawRequest. */
export function parseRaw(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers = lines.map((l): [string, string] => {
    const colon = l.indexOf(':');
    return [l.slice(0, colon), l.slice(colon + 1).trim()];
  });
  const all = (name: string) => headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  return { status: Number(m[1]), headers, body: raw.slice(end + 4), all, get: (name) => all(name)[0] };
}

/** Pairs of a raw header list ([name, value, name, value, ...]) with lower-cased names. */
export function headerPairs(rawHeaders: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2)
    out.push([(rawHeaders[i] as string).toLowerCase(), rawHeaders[i + 1] as string]);
  return out;
}

export interface RawUpstream {
  server: Server;
  origin: string;
  port: number;
  /** Sockets accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/**
 * A TCP server that speaks whatever `onConnection` writes: for upstreams that misbehave at the HTTP
 * framing level (garbage, resets, truncated bodies). Every socket is destroyed on close.
 */
export async function startRawUpstream(t: TestContext, onConnection: (socket: Socket) => void): Promise<RawUpstream> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    up.connections++;
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const up: RawUpstream = {
    server,
    origin: `http://127.0.0.1:${port}`,
    port,
    connections: 0,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  t.after(() => up.close());
  return up;
}

/** Resolves when `ready()` is true, checking every 10 ms; rejects after `limitMs` (a bound, not an assertion on time). */
export async function waitFor(what: string, ready: () => boolean, limitMs = 5000): Promise<void> {
  for (let waited = 0; !ready(); waited += 10) {
    if (waited >= limitMs) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RawExchange {
  /** Everything received, latin1. */
  data: string;
  /** The server ended or reset the connection (rather than our limit running out). */
  closedByServer: boolean;
  /** The connection ended with an error (e.g. ECONNRESET) rather than a clean FIN. */
  error: string | undefined;
}

/**
 * Sends raw bytes and collects the answer until the server closes the connection, or `limitMs`
 * passes (then closedByServer is false). `onData` sees the bytes so far, e.g. to act once the
 * response head has arrived.
 */
export function rawExchange(
  port: number,
  payload: string | Buffer,
  opts: { limitMs?: number; onData?: (soFar: string) => void } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closedByServer = true;
    let error: string | undefined;
    const sock = connect(port, '127.0.0.1', () => sock.write(payload));
    const timer = setTimeout(() => {
      closedByServer = false;
      sock.destroy();
    }, opts.limitMs ?? 5000);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      opts.onData?.(Buffer.concat(chunks).toString('latin1'));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks).toString('latin1'), closedByServer, error });
    });
  });
}
