// The processes the bench measures: the backend, Portico (through its real CLI, one config per variant), and the
// peers (the minimal node:http + undici proxy, nginx, HAProxy, fast-gateway). Each one is a child process so its
// CPU and memory are its own; peers that are not installed are reported as missing, never fatal.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type PorticoVariant, porticoConfig, ROUTES_10K_PREFIX } from './portico-config.js';
import { findBinary, freePort, type Placement, type Server, spawnServer, trackTempDir } from './proc.js';

/** A running process a scenario sends requests to. */
export interface Target {
  name: string;
  /** `http://127.0.0.1:PORT` plus whatever prefix reaches the backend's paths (`/production` for Portico). */
  base: string;
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
const FAST_GATEWAY = fileURLToPath(new URL('../peers/fast-gateway.mjs', import.meta.url));
const FAST_GATEWAY_INSTALLED = fileURLToPath(
  new URL('../.peers/node_modules/fast-gateway/package.json', import.meta.url),
);
const DIST_CLI = join(ROOT, 'dist/cli/main.js');
const SRC_CLI = join(ROOT, 'src/cli/main.ts');

/** CI builds before it benches; locally, without dist/, the CLI runs from source through tsx. */
export const porticoEntry: 'dist' | 'src' = existsSync(DIST_CLI) ? 'dist' : 'src';
export const DIST_CLI_PATH = DIST_CLI;

export type Peer = 'nginx' | 'haproxy' | 'fast-gateway' | 'redis';

/** What is installed, and how to get what isn't (bench/setup.sh installs all of them but Redis). */
export function peerBinary(peer: Peer): string | undefined {
  switch (peer) {
    case 'nginx':
      return findBinary('/usr/sbin/nginx', '/usr/bin/nginx', 'nginx');
    case 'haproxy':
      return findBinary('/usr/sbin/haproxy', '/usr/bin/haproxy', 'haproxy');
    case 'redis':
      return findBinary('redis-server');
    case 'fast-gateway':
      return existsSync(FAST_GATEWAY_INSTALLED) ? FAST_GATEWAY : undefined;
  }
}

export const PEER_HINT: Record<Peer, string> = {
  nginx: 'bash bench/setup.sh (apt-get install nginx-light)',
  haproxy: 'bash bench/setup.sh (apt-get install haproxy)',
  'fast-gateway': 'bash bench/setup.sh (npm-installs it into bench/.peers/)',
  redis: 'apt-get install redis-server',
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
    return {
      name: 'minimal',
      base: `http://127.0.0.1:${s.value}`,
      headers: {},
      pid: s.pid,
      pinned: this.#placement.pinned,
      close: () => s.stop(),
    };
  }

  async fastGateway(backendUrl: string): Promise<Target> {
    const argv = [process.execPath, FAST_GATEWAY, '--port', '0', '--target', backendUrl];
    const s = await spawnServer('fast-gateway', argv, this.#proxyCpu, (line) =>
      /^\d+$/.test(line.trim()) ? line.trim() : undefined,
    );
    return {
      name: 'fast-gateway',
      base: `http://127.0.0.1:${s.value}`,
      headers: {},
      pid: s.pid,
      pinned: this.#placement.pinned,
      close: () => s.stop(),
    };
  }

  /**
   * nginx `proxy_pass` with upstream keep-alive, 1 worker (the peer layout of bench/README.md), streaming request
   * bodies (`proxy_request_buffering off`) for the POST scenario. Its CPU is the master's and the worker's.
   */
  async nginx(backendUrl: string): Promise<Target> {
    const port = await freePort();
    const dir = join(this.#scratch, `nginx-${port}`);
    await mkdir(join(dir, 'tmp'), { recursive: true });
    const conf = `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp;
  fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  client_max_body_size 10m;
  upstream backend { server 127.0.0.1:${new URL(backendUrl).port}; keepalive 64; keepalive_requests 1000000; keepalive_timeout 60s; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location ~ ^/api/(greeting|upload)$ {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
    location / { return 404; }
  }
}
`;
    await writeFile(join(dir, 'nginx.conf'), conf);
    const s = await spawnServer(
      'nginx',
      [peerBinary('nginx')!, '-p', dir, '-c', join(dir, 'nginx.conf')],
      this.#proxyCpu,
      { port },
    );
    return {
      name: 'nginx',
      base: `http://127.0.0.1:${port}`,
      headers: {},
      pid: s.pid,
      pinned: this.#placement.pinned,
      close: () => s.stop(),
    };
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
    return {
      name: 'haproxy',
      base: `http://127.0.0.1:${port}`,
      headers: {},
      pid: s.pid,
      pinned: this.#placement.pinned,
      close: () => s.stop(),
    };
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
    } = {},
  ): Promise<Target> {
    const dir = await mkdtemp(join(tmpdir(), 'portico-bench-'));
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
      base: `${url}/production${variant === 'routes10k' ? ROUTES_10K_PREFIX : ''}`,
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

const JWT_ISSUER = 'https://issuer.bench.portico.test';
const JWT_AUDIENCE = 'portico-bench';

export interface Jwks {
  url: string;
  /** A fresh RS256 token (1 h) for the scenario's requests. */
  token(): Promise<string>;
  close(): Promise<void>;
}

/**
 * An RS256 key pair and its key set, served by this process on 127.0.0.1 (Portico fetches it once and caches it),
 * like a Cognito user pool's: the JWT scenario pays a real RSA signature check per request.
 */
export async function startJwks(): Promise<Jwks> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  const server: HttpServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    url,
    token: () =>
      new SignJWT({ scope: 'greeting/read' })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' })
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setSubject('bench-user')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
