/**
 * nginx and HAProxy as differential oracles: each started on a free loopback port with its own temp
 * config (after the nginx.conf and haproxy.cfg of the project's 2026-11-21 reliability probes), proxying
 * to a recording upstream.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Oracle {
  name: string;
  port: number;
  /** The process id (for RSS readings). */
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not listening on ${port} after 5 s: ${log()}`);
}

async function run(name: string, bin: string, args: string[], dir: string, port: number): Promise<Oracle> {
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await waitListening(port, child, () => out);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${name}: ${(err as Error).message}`);
  }
  return {
    name,
    port,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Extra nginx settings: `worker_connections` (256 unless set), `main` and `http` context lines. */
export interface NginxOptions {
  workerConnections?: number;
  main?: string;
  http?: string;
}

/** nginx with proxy_pass to `upstreamPort`; X-Forwarded-For carries the client address (the lane). */
export async function startNginx(bin: string, upstreamPort: number, opts: NginxOptions = {}): Promise<Oracle> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-nginx-'));
  const port = await freePort();
  const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
${opts.main ?? ''}
events { worker_connections ${opts.workerConnections ?? 256}; }
http {
  access_log off;
  ${opts.http ?? ''}
  client_body_temp_path ${dir}/cbt; proxy_temp_path ${dir}/pt;
  fastcgi_temp_path ${dir}/ft; uwsgi_temp_path ${dir}/ut; scgi_temp_path ${dir}/st;
  upstream be { server 127.0.0.1:${upstreamPort}; keepalive 4; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  return run('nginx', bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], dir, port);
}

/** HAProxy in HTTP mode with `option forwardfor`. */
export async function startHaproxy(bin: string, upstreamPort: number): Promise<Oracle> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-haproxy-'));
  const port = await freePort();
  const cfg = `global
  pidfile ${dir}/haproxy.pid
defaults
  mode http
  option forwardfor
  timeout connect 2s
  timeout client 2s
  timeout server 2s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${upstreamPort}
`;
  await writeFile(join(dir, 'haproxy.cfg'), cfg);
  return run('haproxy', bin, ['-db', '-f', join(dir, 'haproxy.cfg')], dir, port);
}
