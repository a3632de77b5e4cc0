import type { EngineRequest as IncomingMessage, EngineResponse as ServerResponse } from '../../server/engine/types.js';
import type { Clock } from '../../clock.js';
import type { AcmeStore } from './store.js';

export const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The HTTP-01 answers (RFC 8555 §8.3): `GET /.well-known/acme-challenge/<token>` → the key
 * authorization as text/plain. Tokens this process is validating are in memory; the others are
 * looked up in the store, so the node a CA's validation request reaches need not be the one ordering.
 */
export class ChallengeBoard {
  #local = new Map<string, string>();

  constructor(
    private readonly store: AcmeStore,
    private readonly clock: Clock,
  ) {}

  async add(token: string, keyAuthorization: string, ttlMs: number): Promise<void> {
    this.#local.set(token, keyAuthorization);
    await this.store.putChallenge(token, { keyAuthorization, expiresAt: this.clock.now() + ttlMs });
  }

  async remove(token: string): Promise<void> {
    this.#local.delete(token);
    await this.store.deleteChallenge(token);
  }

  /**
   * The request hook of the plain HTTP listeners, before routing and before a redirect to https:
   * true when it took the request (a challenge path), false to let it through.
   */
  respond = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '';
    if (!url.startsWith(CHALLENGE_PREFIX)) return false;
    const token = url.slice(CHALLENGE_PREFIX.length).split('?')[0]!;
    const answer = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(405, 'Method Not Allowed');
      return true;
    }
    if (!TOKEN.test(token)) {
      answer(404, 'Not Found');
      return true;
    }
    const local = this.#local.get(token);
    if (local) {
      answer(200, local);
      return true;
    }
    this.store.challenge(token, this.clock.now()).then(
      (found) => (found ? answer(200, found) : answer(404, 'Not Found')),
      () => answer(503, 'Service Unavailable'),
    );
    return true;
  };
}
