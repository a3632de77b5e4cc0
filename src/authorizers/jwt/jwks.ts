import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { jose, loadJose } from './jose.js';
import { type Agent, request } from 'undici';
import type { Clock } from '../../clock.js';

/** AWS fetches keys within 1500 ms and 150 KB; we allow a little more time on a loaded host. */
const FETCH_TIMEOUT_MS = 3000;
const MAX_DOCUMENT_BYTES = 512 * 1024;

export class JwksUnavailableError extends Error {}

export interface JwksSource {
  /** A key-set URL, or the issuer for OIDC discovery ({issuer}/.well-known/openid-configuration → jwks_uri). */
  jwksUri?: string;
  discoveryIssuer?: string;
}

/**
 * A cached key set, refreshed after maxAgeMs, and refetched when a token names a key id it doesn't hold — at most
 * once per cooldownMs, so tokens with made-up kids cannot make us hammer the issuer. Time comes from the injected
 * clock (jose's own remote set reads Date.now, which tests cannot move). jose does the key selection and checks.
 */
export class JwksCache {
  readonly #source: JwksSource;
  readonly #agent: Agent;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #cooldownMs: number;
  #set: JWTVerifyGetKey | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;
  /** Key-set fetches made (for tests and metrics). */
  fetches = 0;

  constructor(source: JwksSource, opts: { agent: Agent; clock: Clock; maxAgeMs: number; cooldownMs: number }) {
    this.#source = source;
    this.#agent = opts.agent;
    this.#clock = opts.clock;
    this.#maxAgeMs = opts.maxAgeMs;
    this.#cooldownMs = opts.cooldownMs;
  }

  /** jose's key resolver. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.#set || this.#clock.now() - this.#fetchedAt >= this.#maxAgeMs) await this.#refresh(!this.#set);
    try {
      return await (this.#set as JWTVerifyGetKey)(header, token);
    } catch (err) {
      if (!(err instanceof jose().errors.JWKSNoMatchingKey) || this.#clock.now() - this.#fetchedAt < this.#cooldownMs)
        throw err;
      await this.#refresh(false);
      return (this.#set as JWTVerifyGetKey)(header, token);
    }
  };

  /** One fetch at a time; a failed refresh keeps the old keys unless there are none. */
  async #refresh(mustSucceed: boolean): Promise<void> {
    this.#inflight ??= this.#fetch().finally(() => (this.#inflight = undefined));
    try {
      await this.#inflight;
    } catch (err) {
      if (mustSucceed || !this.#set) throw err;
      this.#fetchedAt = this.#clock.now(); // keep serving the old keys; retry after the cooldown
    }
  }

  async #fetch(): Promise<void> {
    let uri = this.#source.jwksUri;
    if (!uri) {
      const issuer = this.#source.discoveryIssuer as string;
      const doc = await this.#getJson(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
      if (doc.issuer !== issuer)
        throw new JwksUnavailableError(
          `discovery document issuer ${JSON.stringify(doc.issuer)} is not ${JSON.stringify(issuer)}`,
        );
      if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri))
        throw new JwksUnavailableError('discovery document has no http(s) jwks_uri');
      uri = doc.jwks_uri;
    }
    this.fetches++;
    const jwks = await this.#getJson(uri);
    if (!Array.isArray(jwks.keys)) throw new JwksUnavailableError(`${uri} is not a JSON Web Key Set`);
    this.#set = (await loadJose()).createLocalJWKSet(jwks as unknown as JSONWebKeySet);
    this.#fetchedAt = this.#clock.now();
  }

  async #getJson(url: string): Promise<Record<string, unknown>> {
    let res;
    try {
      res = await request(url, {
        dispatcher: this.#agent,
        headersTimeout: FETCH_TIMEOUT_MS,
        bodyTimeout: FETCH_TIMEOUT_MS,
        headers: { accept: 'application/json' },
      });
    } catch (err) {
      throw new JwksUnavailableError(`${url}: ${(err as Error).message}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_DOCUMENT_BYTES) {
        res.body.destroy();
        throw new JwksUnavailableError(`${url}: document larger than ${MAX_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(c);
    }
    if (res.statusCode !== 200) throw new JwksUnavailableError(`${url} answered ${res.statusCode}`);
    try {
      const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new JwksUnavailableError(`${url} did not answer a JSON object`);
  }
}
