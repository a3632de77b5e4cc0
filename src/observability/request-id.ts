import { randomUUID } from 'node:crypto';
import type { EngineRequest } from '../server/engine/types.js';
import { normalizeIp } from '../server/client-ip.js';
import type { Snapshot } from '../pipeline/context.js';

/** What a request id taken from a client header may look like: no spaces, quotes or control characters. */
const VALID_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/**
 * The request id: a new UUID, or the configured incoming header's value when the peer is trusted
 * (server.requestId) and the value is well-formed. A bad value is replaced, as AWS replaces an
 * invalid x-amzn-RequestId. Returned to the client and forwarded upstream by the caller.
 */
export function requestIdFor(snapshot: Snapshot, req: EngineRequest): string {
  const cfg = snapshot.config.server.requestId;
  if (!cfg.header) return randomUUID();
  const v = req.headers[cfg.header.toLowerCase()];
  if (typeof v !== 'string' || !VALID_ID.test(v)) return randomUUID();
  if (
    cfg.trustFrom === 'trustedProxies' &&
    !snapshot.trustedProxies.isTrusted(normalizeIp(req.socket.remoteAddress ?? ''))
  ) {
    return randomUUID();
  }
  return v;
}
