import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { UPSTREAMS_SERVICE, type UpstreamRegistry } from '../../src/upstream/registry.js';
import type { UpstreamRuntime } from '../../src/upstream/runtime.js';
import { spawnCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

export const ADMIN_TOKEN = 'upstream-test-token-0123456789';

/** What a FaultServer does with the next requests. */
export type Mode = 'ok' | '503' | '500' | 'hang' | 'reset' | 'reset-mid-body' | 'drip';

/**
 * A real loopback upstream whose behaviour a test switches at will: answer, 5xx, hang, reset
 * before the response, reset mid-body, drip the body slowly. `stop()` closes the port (connections
 * are then refused) and `restart()` opens it again on the same port.
 */
export class FaultServer {
  readonly name: string;
  mode: Mode = 'ok';
  /** Mode for the health-check path only (default: same as `mode`). */
  healthMode: Mode | undefined;
  healthPath = '/health';
  hits = 0;
  healthHits = 0;
  /** Host header of the last request. */
  lastHost: string | undefined;
  methods: Record<string, number> = {};
  port = 0;
  host: string;
  #server: Server;
  #sockets = new Set<Socket>();
  #hanging = new Set<ServerResponse>();

  constructor(name: string, host = '127.0.0.1') {
    this.name = name;
    this.host = host;
    this.#server = this.#make();
  }

  #make(): Server {
    const s = createServer((req, res) => this.#handle(req, res));
    s.keepAliveTimeout = 60000;
    s.on('connection', (sock: Socket) => {
      this.#sockets.add(sock);
      sock.on('close', () => this.#sockets.delete(sock));
    });
    return s;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((r, j) => {
      this.#server.once('error', j);
      this.#server.listen(port, this.host, () => r());
    });
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const isHealth = req.url === this.healthPath;
    this.lastHost = req.headers.host;
    const mode = isHealth ? (this.healthMode ?? this.mode) : this.mode;
    if (isHealth) this.healthHits++;
    else {
      this.hits++;
      this.methods[req.method ?? ''] = (this.methods[req.method ?? ''] ?? 0) + 1;
    }
    req.resume();
    const body = JSON.stringify({ server: this.name, method: req.method, url: req.url });
    switch (mode) {
      case 'ok':
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-served-by': this.name,
        });
        res.end(body);
        return;
      case '503':
      case '500':
        res.writeHead(Number(mode), { 'content-type': 'application/json', 'x-served-by': this.name });
        res.end(JSON.stringify({ error: mode, server: this.name }));
        return;
      case 'hang':
        this.#hanging.add(res);
        res.on('close', () => this.#hanging.delete(res));
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'reset-mid-body':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000', 'x-served-by': this.name });
        res.write('x'.repeat(300));
        setTimeout(() => req.socket.destroy(), 20);
        return;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': this.name });
        let n = 0;
        const tick = setInterval(() => {
          if (res.destroyed || n++ > 50) {
            clearInterval(tick);
            if (!res.destroyed) res.end();
            return;
          }
          res.write('.');
        }, 50);
        res.on('close', () => clearInterval(tick));
        return;
      }
    }
  }

  /** Closes the listening port and every connection: new connections are refused. */
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    this.#server = this.#make();
    await this.start(this.port);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    if (this.#server.listening) await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

export async function faultServers(t: TestContext, n: number, host = '127.0.0.1'): Promise<FaultServer[]> {
  const list = await Promise.all(Array.from({ length: n }, (_, i) => new FaultServer(`s${i + 1}`, host).start()));
  t.after(() => Promise.all(list.map((s) => s.close())));
  return list;
}

/**
 * A config: upstream `svc` (the given YAML lines, indented under it) and an http API on $default
 * with `ANY /{proxy+}` → svc (plus `route` lines appended to its integration).
 */
export function upstreamYaml(upstream: string[], opts: { integration?: string; admin?: boolean } = {}): string {
  return [
    'version: 1',
    opts.admin === false ? 'admin: { enabled: false }' : `admin: { token: "${ADMIN_TOKEN}" }`,
    'server:',
    '  timeouts: { drainMs: 1000 }',
    'upstreams:',
    '  svc:',
    ...upstream.map((l) => `    ${l}`),
    'apis:',
    '  - name: app',
    '    type: http',
    '    stages: { "$default": {} }',
    '    routes:',
    '      - route: ANY /{proxy+}',
    `        integration: { type: http_proxy, upstream: svc${opts.integration ? `, ${opts.integration}` : ''} }`,
    '',
  ].join('\n');
}

export async function gatewayWith(t: TestContext, yaml: string, clock?: Clock): Promise<TestGateway> {
  const gw = await startTestGateway(yaml, clock ? { clock } : {});
  t.after(() => gw.close());
  return gw;
}

export function runtimeOf(gw: TestGateway, name = 'svc'): UpstreamRuntime {
  const reg = gw.gw.runtime.services.get(UPSTREAMS_SERVICE) as UpstreamRegistry;
  const rt = reg.get(name);
  if (!rt) throw new Error(`no upstream ${name}`);
  return rt;
}

export interface Result {
  status: number;
  body: string;
  servedBy: string | undefined;
  /** The response ended with an error or was cut short. */
  error?: string;
  complete: boolean;
}

/** One request over a keep-alive agent-less connection; never rejects (errors are results). */
export function send(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Result> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const finish = (error?: string) =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          servedBy: res.headers['x-served-by'] as string | undefined,
          complete: res.complete && !error,
          ...(error ? { error } : {}),
        });
      res.on('end', () => finish());
      res.on('error', (e) => finish(e.message));
      res.on('aborted', () => finish('aborted'));
    });
    req.on('error', (e) => resolve({ status: 0, body: '', servedBy: undefined, error: e.message, complete: false }));
    req.end(body);
  });
}

/** Runs `total` requests with `concurrency` workers. */
export async function load(total: number, concurrency: number, one: (i: number) => Promise<Result>): Promise<Result[]> {
  const out: Result[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        out[i] = await one(i);
      }
    }),
  );
  return out;
}

/** Admin API call with the test token. */
export async function admin(
  gw: TestGateway,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, gw.gw.adminUrl), {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Resolves when `ready()` is true, checking every 10 ms; rejects after `limitMs` (a bound, not an assertion on time). */
export async function waitFor(what: string, ready: () => boolean, limitMs = 5000): Promise<void> {
  for (let waited = 0; !ready(); waited += 10) {
    if (waited >= limitMs) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function countBy(results: Result[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const k = r.servedBy ?? `status ${r.status}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Runs `portico ARGS` in a child process without blocking this one (the gateway under test runs here). */
export async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnCli(args);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
