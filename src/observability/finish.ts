import type { RequestContext } from '../pipeline/context.js';

/** When the request finished: set once by the first requestDone hook that asks, so every hook agrees. */
export function finishTime(ctx: RequestContext): number {
  if (!ctx.endTimeMs) ctx.endTimeMs = Date.now();
  return ctx.endTimeMs;
}
