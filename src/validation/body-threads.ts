/**
 * Large request bodies are parsed and validated off the event loop. `JSON.parse` costs ~25 ms per MB of
 * flat JSON and ~160 ms per MB of 64-deep arrays (bench/json-depth.ts); on the main thread a 10 MB body
 * would stall every other request for up to seconds. Bodies from OFF_THREAD_BYTES up go to one shared
 * pool of worker threads (piscina, as for functions), created at first use; idle threads end after
 * IDLE_MS and do not hold the process open. The queue is bounded: past it the request gets 429.
 * See docs/security.md#bodies-portico-parses.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { BodyTask } from './body-thread.js';

/** Bodies this size and up are validated on a worker thread; smaller ones inline (a few ms at most). */
export const OFF_THREAD_BYTES = 128 * 1024;
const IDLE_MS = 10_000;
/** Bodies waiting for a thread at most, beyond those being validated. */
export const MAX_QUEUED = 64;
// Under tsx (tests) this file is .ts and so is the worker's; the build has both as .js.
const THREAD = new URL(`./body-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

let pool: Promise<Piscina> | undefined;
/** Bodies handed to a thread so far (for tests). */
export let offThreadBodies = 0;

export class BodyQueueFullError extends Error {}

/** Validates one body on a worker thread: true when it passes. Rejects with BodyQueueFullError when the queue is full. */
export async function validateOffThread(task: BodyTask): Promise<boolean> {
  pool ??= import('piscina').then(
    ({ Piscina }) =>
      new Piscina({
        filename: THREAD.href,
        minThreads: 0,
        maxThreads: Math.max(1, Math.floor(availableParallelism() / 2)),
        idleTimeout: IDLE_MS,
        maxQueue: MAX_QUEUED,
      }),
  );
  const p = await pool;
  offThreadBodies++;
  try {
    return (await p.run(task)) as boolean;
  } catch (err) {
    // piscina's Errors.TaskQueueAtLimit; the worker itself never throws (validateBody catches everything).
    if ((err as Error).message === 'Task queue is at limit') throw new BodyQueueFullError('body validation queue full');
    throw err;
  }
}
