/**
 * Worker-thread pools that run functions (piscina). One pool per function module and memory size, kept
 * across reloads by that key and closed when no snapshot uses it. An invocation that passes its timeout
 * is aborted, which terminates its thread; piscina starts a fresh one, so a hung or crashed invocation
 * costs only itself.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { Service, ServiceDef } from '../services.js';
import { FunctionCrashError, FunctionTimeoutError } from '../kernel/errors.js';
import { defineService } from '../kernel/services.js';
import type { InvokeOutcome, InvokeTask } from './worker.js';
import type { RuntimeDeps, Snapshot } from '../pipeline/context.js';

export const FUNCTIONS_SERVICE = defineService<FunctionPools>('functions');

// Under tsx (tests, `npm run dev`) this file is .ts and so is the worker; the build has both as .js.
const WORKER = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

export interface PoolSpec {
  /** Absolute path of the module. */
  file: string;
  memoryMB: number;
  maxThreads: number;
}

// The invocation did not finish within its timeout (→ 504), or its worker died (→ 502).
export { FunctionCrashError, FunctionTimeoutError };

export class FunctionPools implements Service {
  readonly #pools = new Map<string, Piscina>();
  #closed = false;

  static key(spec: PoolSpec): string {
    return `${spec.file}|${spec.memoryMB}|${spec.maxThreads}`;
  }

  async #pool(spec: PoolSpec): Promise<Piscina> {
    const key = FunctionPools.key(spec);
    let p = this.#pools.get(key);
    if (!p) {
      // Loaded by the first invocation: a gateway without functions never carries piscina.
      const { Piscina } = await import('piscina');
      if (this.#closed) throw new FunctionCrashError('the function pools are closed');
      p = this.#pools.get(key);
      if (p) return p;
      p = new Piscina({
        filename: WORKER,
        minThreads: 0,
        maxThreads: spec.maxThreads,
        idleTimeout: 60_000,
        concurrentTasksPerWorker: 1,
        resourceLimits: {
          maxOldGenerationSizeMb: spec.memoryMB,
          maxYoungGenerationSizeMb: Math.max(4, Math.min(32, spec.memoryMB / 8)),
        },
      });
      // A worker that dies is replaced by piscina; its error is already the task's rejection.
      p.on('error', () => {});
      this.#pools.set(key, p);
    }
    return p;
  }

  /** Runs one invocation; rejects with FunctionTimeoutError or FunctionCrashError. */
  async invoke(spec: PoolSpec, task: InvokeTask, timeoutMs: number): Promise<InvokeOutcome> {
    if (this.#closed) throw new FunctionCrashError('the function pools are closed');
    const ac = new AbortController();
    // A wall-clock guard against a hung function (it bounds real CPU time), not time-based logic.
    const timer = setTimeout(
      () => ac.abort(new FunctionTimeoutError(`function did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      return (await (await this.#pool(spec)).run(task, { signal: ac.signal })) as InvokeOutcome;
    } catch (err) {
      if (ac.signal.aborted) throw ac.signal.reason as Error;
      throw new FunctionCrashError((err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes pools no snapshot uses any more (after a reload swap). */
  retain(keys: ReadonlySet<string>): void {
    for (const [key, p] of this.#pools) {
      if (keys.has(key)) continue;
      this.#pools.delete(key);
      void p.close().catch(() => p.destroy());
    }
  }

  onSnapshot(snapshot: Snapshot): void {
    const keys = new Set<string>();
    for (const api of snapshot.apis) {
      for (const r of api.routes)
        for (const pl of r.pipelines) {
          const spec = (pl.integration as { poolSpec?: PoolSpec }).poolSpec;
          if (spec) keys.add(FunctionPools.key(spec));
        }
    }
    this.retain(keys);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}

export const functionServiceDef: ServiceDef = { name: FUNCTIONS_SERVICE, start: () => new FunctionPools() };

/** The running gateway's pools; tools that compile without services (tests, invoke) get one made on first use. */
export function functionPools(deps: RuntimeDeps): FunctionPools {
  return deps.services.getOrCreate(FUNCTIONS_SERVICE, () => new FunctionPools());
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}
