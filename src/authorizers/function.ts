import { pathToFileURL } from 'node:url';

import { FunctionLoadError, FunctionTimeoutError } from '../kernel/errors.js';

// The function could not be loaded (→ AUTHORIZER_CONFIGURATION_ERROR) or did not settle in time (→ AUTHORIZER_FAILURE).
export { FunctionLoadError, FunctionTimeoutError };

/**
 * How a function is invoked. In-process today; the worker-pool issue swaps in an implementation that runs the
 * function in a worker thread behind the same interface. A rejection carries what the function threw.
 */
export interface FunctionInvoker {
  invoke(event: unknown, opts: { timeoutMs: number; requestId: string }): Promise<unknown>;
}

type Handler = (event: unknown, context: unknown, callback: (err: unknown, result?: unknown) => void) => unknown;

/**
 * Imports the module on first use (compile only checks the file exists) and calls the export Lambda-style:
 * `handler(event, context, callback)`, settling on the returned promise or the callback, whichever comes first.
 */
export class InProcessInvoker implements FunctionInvoker {
  readonly #url: string;
  readonly #exportName: string;
  #fn: Promise<Handler> | undefined;

  /** `version` (the file's mtime) makes a reload import an edited module afresh. */
  constructor(file: string, exportName: string, version: number) {
    this.#url = `${pathToFileURL(file).href}?v=${version}`;
    this.#exportName = exportName;
  }

  #load(): Promise<Handler> {
    this.#fn ??= import(this.#url).then(
      (mod: Record<string, unknown>) => {
        const fn = mod[this.#exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[this.#exportName];
        if (typeof fn !== 'function')
          throw new FunctionLoadError(`${this.#url} has no function export "${this.#exportName}"`);
        return fn as Handler;
      },
      (err: unknown) => {
        this.#fn = undefined; // a fixed file can be retried
        throw new FunctionLoadError(`cannot import ${this.#url}: ${(err as Error).message}`);
      },
    );
    return this.#fn;
  }

  async invoke(event: unknown, opts: { timeoutMs: number; requestId: string }): Promise<unknown> {
    const fn = await this.#load();
    const deadline = Date.now() + opts.timeoutMs;
    const context = {
      awsRequestId: opts.requestId,
      functionName: this.#exportName,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        // A wall-clock guard against a hung function, not time-based logic: no injected clock.
        timer = setTimeout(
          () => reject(new FunctionTimeoutError(`authorizer timed out after ${opts.timeoutMs} ms`)),
          opts.timeoutMs,
        );
        const callback = (err: unknown, result?: unknown) => (err ? reject(err) : resolve(result));
        const r = fn(event, context, callback) as { then?: unknown } | undefined;
        if (r && typeof r.then === 'function') (r as Promise<unknown>).then(resolve, reject);
        else if (r !== undefined && fn.length < 3) resolve(r); // a plain synchronous handler
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
