// Child processes of the bench: spawned (pinned with taskset when asked), waited for, stopped, always killed on
// exit; and what they cost, read from /proc for a whole process tree (nginx's and HAProxy's workers, Portico's
// --workers, all count).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, readFileSync, rmSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';

/** Where the processes run: the proxy on one CPU, the backend and the load generator on another (or nowhere). */
export interface Placement {
  pinned: boolean;
  proxyCpu: number;
  loadCpu: number;
}

/** Is `name` an executable on PATH (or an absolute path that exists and runs)? */
export function which(name: string): string | undefined {
  const dirs = name.includes('/') ? [''] : (process.env.PATH ?? '').split(delimiter);
  for (const dir of dirs) {
    const p = dir ? join(dir, name) : name;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** First of `candidates` that is installed (absolute paths or names on PATH). */
export function findBinary(...candidates: string[]): string | undefined {
  for (const c of candidates) {
    const found = which(c);
    if (found) return found;
  }
  return undefined;
}

/**
 * Pinning as the issue lays it out: proxy on CPU 0, backend + load generator on CPU 1. Needs taskset and both
 * CPUs in this process's affinity mask (a container's cpuset may leave one out).
 */
export function choosePlacement(wanted: boolean, proxyCpu = 0, loadCpu = 1): Placement {
  const off = { pinned: false, proxyCpu, loadCpu };
  if (!wanted || !which('taskset')) return off;
  try {
    execFileSync('taskset', ['-c', `${proxyCpu},${loadCpu}`, 'true'], { stdio: 'ignore' });
    return { pinned: true, proxyCpu, loadCpu };
  } catch {
    console.error(`bench: taskset cannot use CPUs ${proxyCpu} and ${loadCpu}; running unpinned`);
    return off;
  }
}

/** Moves this process and all its threads (autocannon's worker is one of them, made later) onto `cpu`. */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

export function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // getconf missing: Linux's usual value.
  }
  return 100;
}

const CLK_TCK = clockTicks();

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) {
      if (tid) out.push(Number(tid));
    }
  } catch {
    // gone, or no /proc
  }
  return out;
}

/** `pid` and every descendant (nginx and HAProxy masters and their workers, Portico's primary and workers). */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]!));
  return all;
}

/** `read` summed over the process tree of `pid`; null without /proc (or when every process is gone). */
function sumOverTree(pid: number | undefined, read: (p: number) => number | undefined): number | null {
  if (pid === undefined) return null;
  let total = 0;
  let seen = false;
  for (const p of processTree(pid)) {
    try {
      const v = read(p);
      if (v !== undefined) {
        total += v;
        seen = true;
      }
    } catch {
      // exited between the listing and the read
    }
  }
  return seen ? total : null;
}

/** utime + stime of every thread of the tree, in µs. */
export function treeCpuUs(pid: number | undefined): number | null {
  return sumOverTree(pid, (p) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces; fields 14 and 15 are utime and stime, in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
  });
}

/**
 * This process's CPU plus that of its children that have exited and been waited for (utime, stime, cutime,
 * cstime): the load generator's, whether autocannon (a thread here) or wrk (a child that ends with the rep). µs.
 */
export function selfAndReapedCpuUs(): number | null {
  return sumOverTree(process.pid, (p) => {
    if (p !== process.pid) return undefined;
    const f = readFileSync('/proc/self/stat', 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ([11, 12, 13, 14].reduce((a, i) => a + Number(fields[i]), 0) * 1e6) / CLK_TCK;
  });
}

/** The machine's CPU time from /proc/stat (all CPUs): busy, steal and total, in µs; null without /proc. */
export function machineCpuUs(): { busy: number; steal: number; total: number } | null {
  try {
    const [, user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .map(Number);
    const us = (ticks: number) => (ticks * 1e6) / CLK_TCK;
    const busy = user! + nice! + system! + irq! + softirq!;
    return { busy: us(busy), steal: us(steal!), total: us(busy + idle! + iowait! + steal!) };
  } catch {
    return null;
  }
}

/** Resident set size of the whole tree (VmRSS summed), in bytes. */
export function treeRssBytes(pid: number | undefined): number | null {
  return sumOverTree(pid, (p) => {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  });
}

// Every child is SIGKILLed, and every temporary directory removed, if this process exits without the normal
// cleanup (watchdog, uncaught error, a signal).
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
export function trackTempDir(dir: string): () => void {
  tempDirs.add(dir);
  return () => {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  };
}

export interface Server {
  pid: number;
  /** What `ready` extracted from the child's stdout. */
  value: string;
  stop(): Promise<void>;
}

/**
 * Starts a server as a child process (under `taskset -c cpu` when `cpu` is given: a CPU or a list like "0,1") and waits until `ready` finds
 * what it needs in a line of its stdout, or (`{port}`, for nginx and HAProxy, which say nothing) until the port
 * accepts a connection. stdout is read to the end, so a chatty child never blocks on a full pipe.
 */
export async function spawnServer(
  name: string,
  argv: string[],
  cpu: number | string | undefined,
  ready: ((line: string) => string | undefined) | { port: number },
  opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Server> {
  const [command, ...rest] = cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv];
  // taskset execs the command, so the child's pid is the server's pid.
  const child = spawn(command!, rest, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const tail: string[] = [];
  const value = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      const found = typeof ready === 'function' ? ready(line) : undefined;
      if (found !== undefined) resolve(found);
    });
    if (typeof ready !== 'function')
      void waitForPort(ready.port, child).then(() => resolve(String(ready.port)), reject);
    child.once('error', reject);
    // 'close', not 'exit': by then all of its stdout has been read, so the tail is complete.
    child.once('close', (code, signal) => {
      const output = tail.length ? `; its last output:\n${tail.join('\n')}` : '';
      reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready${output}`));
    });
  });
  const timeoutMs = opts.timeoutMs ?? 20_000;
  try {
    const found = await withTimeout(value, timeoutMs, `${name} was not ready after ${timeoutMs / 1000} s`);
    return { pid: child.pid!, value: found, stop: () => stopChild(child) };
  } catch (err) {
    child.kill('SIGKILL');
    children.delete(child);
    throw err;
  }
}

/** SIGTERM (Portico drains, the others just exit), then SIGKILL if it takes more than 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

/**
 * Runs a bounded command to its end (the load generators): its stdout, or an error with its stderr.
 * Tracked like the servers, so it dies with the bench.
 */
export async function runToEnd(
  argv: string[],
  cpu: number | undefined,
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const [command, ...rest] = cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv];
  const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (code !== 0)
      throw new Error(`${argv[0]} exited (${signal ?? `code ${code}`}): ${(err || out).trim().slice(0, 500)}`);
    return out;
  } finally {
    clearTimeout(timer);
    children.delete(child);
  }
}

/** Resolves once 127.0.0.1:port accepts a connection (polled every 50 ms), while `child` lives. */
async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  while (child.exitCode === null && child.signalCode === null) {
    const open = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = createNetServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
