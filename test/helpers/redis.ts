import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { findBinary, requireBinary } from './require-binary.js';

export const REDIS_INSTALL = 'apt-get install -y redis-server';

/** A redis-server of our own on a free loopback port, in a temp dir, with persistence off. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill). */
  restart(): Promise<void>;
  /** SIGSTOP: the server hangs with its sockets open. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * For a whole suite (describe): false when redis-server is installed; else the skip reason, after a
 * visible notice on stderr. Under PORTICO_REQUIRE_ALL=1 a missing binary throws: the file fails.
 */
export function redisSuiteSkip(suite: string): string | false {
  if (findBinary('redis-server')) return false;
  const why = `redis-server is not installed (${REDIS_INSTALL})`;
  if (process.env.PORTICO_REQUIRE_ALL === '1')
    throw new Error(`${suite}: ${why}; PORTICO_REQUIRE_ALL=1 makes this a failure`);
  process.stderr.write(`\n  SKIPPED: ${suite}: ${why}\n`);
  return why;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/**
 * Starts `redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no` in a temp dir
 * (with `persistent`, AOF on instead).
 * Returns undefined after skipping the test when the binary is absent (a visible notice), or
 * throws under PORTICO_REQUIRE_ALL=1 (test/helpers/require-binary.ts).
 */
export interface RedisOptions {
  /** appendonly yes, appendfsync always: data survives kill + restart (the chaos test; docs/cluster.md). */
  persistent?: boolean;
}

export async function startRedis(t: TestContext, opts: RedisOptions = {}): Promise<RedisServer | undefined> {
  const bin = requireBinary(t, 'redis-server', REDIS_INSTALL);
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'portico-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const aof = opts.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...aof, '--dir', dir, '--logfile', ''];
    const c = spawn(bin as string, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let err = '';
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    exited = new Promise((r) => c.once('exit', () => r()));
    // Ready when the port accepts: bounded to 200 tries × 25 ms.
    for (let i = 0; i < 200; i++) {
      if (c.exitCode !== null) throw new Error(`redis-server exited at start: ${err}`);
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    c.kill('SIGKILL');
    throw new Error(`redis-server did not accept connections on ${port}: ${err}`);
  }

  async function kill(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGCONT');
    c.kill('SIGKILL');
    await exited;
  }

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? 0;
    },
    kill,
    restart: launch,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
