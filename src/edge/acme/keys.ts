import type { EngineRequest as IncomingMessage, EngineResponse as ServerResponse } from '../../server/engine/types.js';
import { defineService } from '../../kernel/services.js';
import type { CertificateTarget } from './manager.js';

/** The ACME service as the gateway and the data listeners use it. */
export interface AcmeService {
  /** The HTTP-01 hook of the plain listeners: true when it answered (a challenge path). */
  respond(req: IncomingMessage, res: ServerResponse): boolean;
  /** Gives listener `index` of server.extraListeners its terminator, then starts its check loop. */
  bind(listeners: readonly { tls?: CertificateTarget }[]): void;
  /** Certificates per listener, without keys (GET /acme). */
  status(): unknown;
  /** Every manager's check now (tests; the loop does the same on its timer). */
  checkNow(): Promise<void>;
  close(): void;
}

export const ACME = defineService<AcmeService>('acme');
