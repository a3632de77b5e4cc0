import { ForwardIntegration, type ForwardOptions } from '../forward/exchange.js';
import { upstreamRegistry } from './registry.js';

/**
 * An http_proxy integration with an `upstream`: the one forwarding path (forward/exchange.ts) to the
 * named upstream's live runtime, looked up per request so it survives reloads.
 */
export function upstreamIntegration(name: string, opts: ForwardOptions): ForwardIntegration {
  return new ForwardIntegration(
    `upstream ${name}`,
    (ctx) => upstreamRegistry(ctx.snapshot.runtime)?.get(name) ?? `upstream "${name}" is not running`,
    opts,
  );
}
