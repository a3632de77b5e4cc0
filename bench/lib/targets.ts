// The processes the bench measures: the backend, Portico (through its real CLI, one config per variant), and the
// peers (the minimal node:http + undici proxy, nginx, HAProxy, fast-gateway). Each one is a child process so its
// CPU and memory are its own; peers that are not installed are reported as missing, never fatal.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PorticoVariant, porticoConfig, routePrefix } from './portico-config.js';
import type { BenchCert } from './cert.js';
import { type Jwks, JWT_AUDIENCE, JWT_ISSUER } from './jwks.js';
import { caddyfile, nginxBackendConf, nginxProxyConf } from './peers.js';
import { findBinary, freePort, type Placement, type Server, spawnServer, trackTempDir } from './proc.js';

/** A running process a scenario sends requests to. */
export interface Target {
  name: string;
  /** `http://127.0.0.1:PORT` plus whatever prefix reaches the backend's paths (`/production` for Portico). */
  base: string;
  /** The same on the process's TLS listener (`https://…`), when it has one (the HTTPS rows). */
  tlsBase?: string;
  /** Headers every request needs (an API key, a bearer token). Never printed. */
  headers: Record<string, string>;
  /** The root of the process tree whose CPU and memory are measured. Absent for the backend itself. */
  pid?: number;
  /** false when the process runs unpinned on purpose (several workers). */
  pinned: boolean;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BACKEND = fileURLToPath(new URL('../backend.ts', import.meta.url));
const MINIMAL_PROXY = fileURLToPath(new URL('../minimal-proxy.mjs', import.meta.url));
const RAW_NET = fileURLToPath(new URL('../peers/raw-net-ceiling.mjs', import.meta.url));
const FAST_GATEWAY = fileURLToPath(new URL('../peers/fast-gateway.mjs', import.meta.url));
const FAST_GATEWAY_INSTALLED = fileURLToPath(
  new URL('../.peers/node_modules/fast-gateway/package.json', import.meta.url),
);
const DIST_CLI = join(ROOT, 'dist/cli/main.js');
const SRC_CLI = join(ROOT, 'src/cli/main.ts');

/** CI builds before it benches; locally, without dist/, the CLI runs from source through tsx. */
export const porticoEntry: 'dist' | 'src' = existsSync(DIST_CLI) ? 'dist' : 'src';
export const DIST_CLI_PATH = DIST_CLI;

export type Peer = 'nginx' | 'haproxy' | 'fast-gateway' | 'redis' | 'caddy';

/** What is installed, and how to get what isn't (bench/setup.sh installs all of them but Redis). */
export function peerBinary(peer: Peer): string | undefined {
  switch (peer) {
    case 'nginx':
      return findBinary('/usr/sbin/nginx', '/usr/bin/nginx', 'nginx');
    case 'haproxy':
      return findBinary('/usr/sbin/haproxy', '/usr/bin/haproxy', 'haproxy');
    case 'redis':
      return findBinary('redis-server');
    case 'caddy':
      return findBinary('/usr/bin/caddy', 'caddy');
    case 'fast-gateway':
      return existsSync(FAST_GATEWAY_INSTALLED) ? FAST_GATEWAY : undefined;
  }
}

export const PEER_HINT: Record<Peer, string> = {
  nginx: 'bash bench/setup.sh (apt-get install nginx-light)',
  haproxy: 'bash bench/setup.sh (apt-get install haproxy)',
  'fast-gateway': 'bash bench/setup.sh (npm-installs it into bench/.peers/)',
  redis: 'apt-get install redis-server',
  caddy: 'bash bench/setup.sh (apt-get install caddy)',
};

export class Targets {
  readonly #placement: Placement;
  readonly #scratch: string;

  constructor(placement: Placement, scratch: string) {
    this.#placement = placement;
    this.#scratch = scratch;
  }

  get #proxyCpu(): number | undefined {
    return this.#placement.pinned ? this.#placement.proxyCpu : undefined;
  }

  /** A peer proxy's Target: plain HTTP on 127.0.0.1:port, measured as the process tree of `s`. */
  #peer(name: string, port: number | string, s: Server): Target {
    return {
      name,
      base: `http://127.0.0.1:${port}`,
      headers: {},
      pid: s.pid,
      pinned: this.#placement.pinned,
      close: () => s.stop(),
    };
  }

  get #loadCpu(): number | undefined {
    return this.#placement.pinned ? this.#placement.loadCpu : undefined;
  }

  async backend(): Promise<Server> {
    return spawnServer(
      'backend',
      [process.execPath, '--import', 'tsx', BACKEND],
      this.#loadCpu,
      (line) => (line.startsWith('http://') ? line.trim() : undefined),
      { cwd: ROOT },
    );
  }

  /** A redis-server of its own for portico-throttle-redis (persistence off), beside the backend. */
  async redis(): Promise<Server> {
    const port = await freePort();
    const argv = [
      peerBinary('redis')!,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    return spawnServer('redis-server', argv, this.#loadCpu, (line) =>
      line.includes('Ready to accept connections') ? `redis://127.0.0.1:${port}` : undefined,
    );
  }

  async minimal(backendUrl: string): Promise<Target> {
    const argv = [process.execPath, MINIMAL_PROXY, '--port', '0', '--target', backendUrl];
    const s = await spawnServer('minimal proxy', argv, this.#proxyCpu, (line) =>
      /^\d+$/.test(line.trim()) ? line.trim() : undefined,
    );
    return this.#peer('minimal', s.value, s);
  }

  async fastGateway(backendUrl: string): Promise<Target> {
    const argv = [process.execPath, FAST_GATEWAY, '--port', '0', '--target', backendUrl];
    const s = await spawnServer('fast-gateway', argv, this.#proxyCpu, (line) =>
      /^\d+$/.test(line.trim()) ? line.trim() : undefined,
    );
    return this.#peer('fast-gateway', s.value, s);
  }

  /**
   * The nginx `return 200` backend of the proxy scenarios, beside the load generator; it streams the 1 MB POST on to
   * `uploadUrl` (the Node backend, which reads it). Its pid is the measured backend's.
   */
  async nginxBackend(uploadUrl: string): Promise<Server> {
    const port = await freePort();
    const dir = await this.#nginxDir(`nginx-backend-${port}`);
    await writeFile(join(dir, 'nginx.conf'), nginxBackendConf(dir, port, Number(new URL(uploadUrl).port)));
    const s = await spawnServer('nginx backend', this.#nginxArgv(dir), this.#loadCpu, { port });
    return { ...s, value: `http://127.0.0.1:${port}` };
  }

  /**
   * nginx `proxy_pass` with upstream keep-alive, 1 worker (the peer layout of bench/README.md); with `tls`, the same
   * server also listens with TLS and that certificate (the HTTPS rows). Its CPU is the master's and the worker's.
   */
  async nginx(backendUrl: string, tls?: BenchCert): Promise<Target> {
    const port = await freePort();
    const tlsPort = tls ? await freePort() : undefined;
    const dir = await this.#nginxDir(`nginx-${port}`);
    const conf = nginxProxyConf({
      dir,
      port,
      backendPort: Number(new URL(backendUrl).port),
      ...(tls && tlsPort ? { tls: { port: tlsPort, cert: tls.certFile, key: tls.keyFile } } : {}),
    });
    await writeFile(join(dir, 'nginx.conf'), conf);
    const s = await spawnServer('nginx', this.#nginxArgv(dir), this.#proxyCpu, { port });
    return {
      name: 'nginx',
      base: `http://127.0.0.1:${port}`,
      ...(tlsPort ? { tlsBase: `https://127.0.0.1:${tlsPort}` } : {}),
      headers: {},
      pid: s.pid,
      pinned: this.#placement.pinned,
      close: () => s.stop(),
    };
  }

  async #nginxDir(name: string): Promise<string> {
    const dir = join(this.#scratch, name);
    await mkdir(join(dir, 'tmp'), { recursive: true });
    return dir;
  }

  #nginxArgv(dir: string): string[] {
    return [peerBinary('nginx')!, '-p', dir, '-c', join(dir, 'nginx.conf')];
  }

  /** Caddy, the Go peer (GOMAXPROCS=1, `reverse_proxy` with keep-alive, admin off), on the proxies' CPU. */
  async caddy(backendUrl: string): Promise<Target> {
    const port = await freePort();
    const dir = join(this.#scratch, `caddy-${port}`);
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'Caddyfile');
    await writeFile(file, caddyfile({ port, backendPort: Number(new URL(backendUrl).port) }));
    // Its autosave, certificate storage and logs would go under $HOME: all of it stays in the scratch dir.
    const env = { ...process.env, GOMAXPROCS: '1', HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir };
    const argv = [peerBinary('caddy')!, 'run', '--config', file, '--adapter', 'caddyfile'];
    const s = await spawnServer('caddy', argv, this.#proxyCpu, { port }, { env, cwd: dir });
    return this.#peer('caddy', port, s);
  }

  /** The JS ceiling (`bench/peers/raw-net-ceiling.mjs`): raw `node:net` sockets, minimal parsing. A reference. */
  async rawNet(backendUrl: string): Promise<Target> {
    const port = await freePort();
    const argv = [process.execPath, RAW_NET, String(port), new URL(backendUrl).port];
    const s = await spawnServer('raw-net', argv, this.#proxyCpu, { port });
    return this.#peer('raw-net', port, s);
  }

  /** HAProxy, 1 thread, keep-alive both sides with connection reuse (the peer layout of bench/README.md). */
  async haproxy(backendUrl: string): Promise<Target> {
    const port = await freePort();
    const cfg = join(this.#scratch, `haproxy-${port}.cfg`);
    await writeFile(
      cfg,
      `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 65s
  timeout server 65s
  timeout http-keep-alive 65s
frontend fe
  bind 127.0.0.1:${port}
  acl known path /api/greeting /api/upload
  http-request return status 404 unless known
  default_backend be
backend be
  option forwardfor
  server s1 127.0.0.1:${new URL(backendUrl).port} maxconn 128
`,
    );
    const s = await spawnServer('haproxy', [peerBinary('haproxy')!, '-db', '-f', cfg], this.#proxyCpu, { port });
    return this.#peer('haproxy', port, s);
  }

  /**
   * Portico through its real CLI (`portico start -c CFG`), as an operator runs it. `full` gets an API key made
   * through the admin API; `jwt` a token signed by a key set this process serves; `workers2` runs
   * `--workers 2` unpinned (two processes on one core would measure nothing).
   */
  /**
   * `extra.nodeFlags` go to Portico's node (bench:profile passes `--cpu-prof`); `extra.checkout` runs another
   * commit's built CLI (`--compare`) with the same config.
   */
  async portico(
    variant: PorticoVariant,
    backendUrl: string,
    extra: {
      redisUrl?: string;
      jwks?: Jwks;
      nodeFlags?: readonly string[];
      checkout?: { short: string; root: string };
      cert?: BenchCert;
    } = {},
  ): Promise<Target> {
    const dir = await mkdtemp(join(tmpdir(), 'portico-bench-'));
    const tlsPort = variant === 'tls' ? await freePort() : undefined;
    const removeDir = trackTempDir(dir);
    const adminToken = randomBytes(24).toString('base64url');
    const configPath = join(dir, 'portico.yaml');
    await writeFile(
      configPath,
      porticoConfig(variant, {
        backendUrl,
        dir,
        adminToken,
        redisUrl: extra.redisUrl,
        jwksUrl: extra.jwks?.url,
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        tls: tlsPort && extra.cert ? { port: tlsPort, ...extra.cert } : undefined,
      }),
      { mode: 0o600 },
    );
    const entry = extra.checkout
      ? [join(extra.checkout.root, 'dist/cli/main.js')]
      : porticoEntry === 'dist'
        ? [DIST_CLI]
        : ['--import', 'tsx', SRC_CLI];
    const at = extra.checkout ? `@${extra.checkout.short}` : '';
    const workers = variant === 'workers2';
    const argv = [
      process.execPath,
      ...(extra.nodeFlags ?? []),
      ...entry,
      ...['start', '-c', configPath, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'],
      ...['--data-dir', join(dir, 'data'), '--no-watch', '--log-level', 'info'],
      ...(workers ? ['--workers', '2'] : []),
    ];
    // `portico started` carries the data and admin URLs; with --workers, each worker logs it and the primary
    // then says `portico workers ready`.
    let started: { url: string; admin: string } | undefined;
    const ready = (line: string): string | undefined => {
      if (!line.startsWith('{')) return undefined;
      if (line.includes('"msg":"portico started"')) {
        const j = JSON.parse(line) as { url?: unknown; admin?: unknown };
        if (typeof j.url === 'string') started ??= { url: j.url, admin: String(j.admin) };
      }
      const done = workers ? line.includes('"msg":"portico workers ready"') : started !== undefined;
      return done && started ? JSON.stringify(started) : undefined;
    };
    const name = extra.checkout ? `portico-${variant}${at} (dist)` : `portico-${variant} (${porticoEntry})`;
    // 10,000 routes take a while to validate and compile, more so from src/ through tsx on a busy machine.
    // Unpinned means both CPUs, said explicitly: a child inherits this process's affinity, which is CPU 1 alone.
    const cpu = workers
      ? this.#placement.pinned
        ? `${this.#placement.proxyCpu},${this.#placement.loadCpu}`
        : undefined
      : this.#proxyCpu;
    const s = await spawnServer(name, argv, cpu, ready, { cwd: extra.checkout?.root ?? ROOT, timeoutMs: 90_000 }).catch(
      (err: unknown) => {
        removeDir();
        throw err;
      },
    );
    const { url, admin } = JSON.parse(s.value) as { url: string; admin: string };
    const headers: Record<string, string> = {};
    try {
      if (variant === 'full') headers['x-api-key'] = await createApiKey(admin, adminToken);
      if (variant === 'jwt') headers.authorization = `Bearer ${await extra.jwks!.token()}`;
    } catch (err) {
      await s.stop();
      removeDir();
      throw err;
    }
    return {
      name: `portico-${variant}${at}`,
      base: `${url}/production${routePrefix(variant)}`,
      ...(tlsPort ? { tlsBase: `https://127.0.0.1:${tlsPort}/production` } : {}),
      headers,
      pid: s.pid,
      pinned: this.#placement.pinned && !workers,
      close: async () => {
        await s.stop();
        removeDir();
      },
    };
  }
}

/** An API key in the `bench` usage plan, made as an operator would (POST /keys); its value is never printed. */
async function createApiKey(adminUrl: string, token: string): Promise<string> {
  const value = randomBytes(30).toString('base64url');
  const res = await fetch(`${adminUrl}/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', plans: ['bench'], value }),
  });
  if (res.status !== 201)
    throw new Error(`portico-full: POST /keys answered ${res.status} ${(await res.text()).slice(0, 200)}`);
  return value;
}
