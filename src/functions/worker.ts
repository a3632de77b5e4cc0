/**
 * Runs inside a worker thread of a function pool (piscina). Imports the handler module once per thread
 * and calls it Lambda-style. Whatever the handler does to its thread (throws, exits, loops, runs out of
 * memory) stays in this thread: the pool replaces it and the gateway answers for that one invocation.
 */
export interface InvokeTask {
  /** file: URL of the module, with a version query so an edited file is imported afresh. */
  moduleUrl: string;
  exportName: string;
  event: unknown;
  context: {
    awsRequestId: string;
    functionName: string;
    memoryLimitInMB: number;
    invokedFunctionArn: string;
    /** Epoch ms after which the gateway stops waiting. */
    deadlineMs: number;
  };
}

type Handler = (event: unknown, context: unknown, callback: (err: unknown, result?: unknown) => void) => unknown;

/** What comes back: the result, or the error the handler raised, as Lambda reports it. */
export type InvokeOutcome =
  { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string; load?: boolean };

const modules = new Map<string, Promise<Record<string, unknown>>>();

function load(url: string): Promise<Record<string, unknown>> {
  let m = modules.get(url);
  if (!m) {
    m = import(url) as Promise<Record<string, unknown>>;
    m.catch(() => modules.delete(url));
    modules.set(url, m);
  }
  return m;
}

function errorOutcome(err: unknown, loadError = false): InvokeOutcome {
  const e = err as { name?: unknown; message?: unknown } | null;
  const errorType = typeof e?.name === 'string' ? e.name : 'Error';
  const errorMessage = typeof e?.message === 'string' ? e.message : String(err);
  return { ok: false, errorType, errorMessage, ...(loadError ? { load: true } : {}) };
}

export default async function invoke(task: InvokeTask): Promise<InvokeOutcome> {
  let fn: Handler;
  try {
    const mod = await load(task.moduleUrl);
    const f = mod[task.exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[task.exportName];
    if (typeof f !== 'function')
      return {
        ok: false,
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: `the module has no function export "${task.exportName}"`,
        load: true,
      };
    fn = f as Handler;
  } catch (err) {
    return errorOutcome(err, true);
  }
  const c = task.context;
  const context = {
    awsRequestId: c.awsRequestId,
    functionName: c.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: c.invokedFunctionArn,
    memoryLimitInMB: String(c.memoryLimitInMB),
    logGroupName: `/aws/lambda/${c.functionName}`,
    logStreamName: 'portico',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, c.deadlineMs - Date.now()),
  };
  try {
    const result = await new Promise<unknown>((resolve, reject) => {
      const callback = (err: unknown, value?: unknown) => (err ? reject(err) : resolve(value));
      const r = fn(task.event, context, callback) as { then?: unknown } | undefined;
      if (r && typeof r.then === 'function') (r as Promise<unknown>).then(resolve, reject);
      else if (fn.length < 3) resolve(r); // a plain synchronous handler
    });
    // Only what JSON carries reaches the gateway, as with Lambda's serialized payload.
    return { ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result) ?? 'null') };
  } catch (err) {
    return errorOutcome(err);
  }
}
