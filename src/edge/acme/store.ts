import { createHash, X509Certificate } from 'node:crypto';
import type { Store } from '../../store/store.js';

/**
 * What ACME keeps in the store (embedded SQLite or Redis, so a cluster shares it): documents in the
 * collection `acme`, the order lease as a counter. Private keys are stored as PEM text, like Traefik's
 * acme.json: the store is as secret as a key file (docs/edge.md). Nothing here is ever logged.
 *
 *   acme / account:<sha256(directory)>   { directory, email, key, url? }   the account key, made once
 *   acme / cert:<domain>                  { domain, cert, key, notAfter, serial, issuedAt }
 *   acme / challenge:<token>              { keyAuthorization, expiresAt }   HTTP-01, any node answers it
 *   counter acme:order:<domain>          the lease: 1 while one node orders, expiring after leaseMs
 */
export const ACME_COLLECTION = 'acme';

export interface StoredAccount {
  directory: string;
  email: string;
  /** PEM private key. */
  key: string;
}

export interface StoredCert {
  domain: string;
  /** PEM chain, leaf first. */
  cert: string;
  /** PEM private key of the leaf. */
  key: string;
  /** Epoch ms. */
  notAfter: number;
  notBefore: number;
  /** Leaf serial, hex. */
  serial: string;
  issuer: string;
  issuedAt: number;
}

export interface StoredChallenge {
  keyAuthorization: string;
  expiresAt: number;
}

/** The public facts of a certificate (no key): for status and logs. */
export function describeCert(c: StoredCert): Omit<StoredCert, 'cert' | 'key'> {
  const { cert: _cert, key: _key, ...rest } = c;
  return rest;
}

/** Reads a PEM chain's leaf into a StoredCert. */
export function certRecord(domain: string, cert: string, key: string, issuedAt: number): StoredCert {
  const leaf = new X509Certificate(cert);
  return {
    domain,
    cert,
    key,
    notAfter: Date.parse(leaf.validTo),
    notBefore: Date.parse(leaf.validFrom),
    serial: leaf.serialNumber,
    issuer: leaf.issuer.replace(/\n/g, ', '),
    issuedAt,
  };
}

const accountId = (directory: string) => `account:${createHash('sha256').update(directory).digest('hex').slice(0, 32)}`;

export class AcmeStore {
  constructor(readonly store: Store) {}

  /**
   * The account key for a directory: the stored one, else `create()`'s, stored with insert so that of
   * two nodes starting together both end up with the one that got there first.
   */
  async account(directory: string, email: string, create: () => Promise<string>): Promise<StoredAccount> {
    const id = accountId(directory);
    const found = await this.store.get<StoredAccount>(ACME_COLLECTION, id);
    if (found) return found;
    const made: StoredAccount = { directory, email, key: await create() };
    if (await this.store.insert(ACME_COLLECTION, id, made)) return made;
    const winner = await this.store.get<StoredAccount>(ACME_COLLECTION, id);
    if (!winner) throw new Error('the ACME account record vanished while it was being created');
    return winner;
  }

  cert(domain: string): Promise<StoredCert | undefined> {
    return this.store.get<StoredCert>(ACME_COLLECTION, `cert:${domain}`);
  }

  putCert(c: StoredCert): Promise<void> {
    return this.store.put(ACME_COLLECTION, `cert:${c.domain}`, c);
  }

  async challenge(token: string, now: number): Promise<string | undefined> {
    const c = await this.store.get<StoredChallenge>(ACME_COLLECTION, `challenge:${token}`);
    return c && c.expiresAt > now ? c.keyAuthorization : undefined;
  }

  putChallenge(token: string, c: StoredChallenge): Promise<void> {
    return this.store.put(ACME_COLLECTION, `challenge:${token}`, c);
  }

  async deleteChallenge(token: string): Promise<void> {
    await this.store.delete(ACME_COLLECTION, `challenge:${token}`);
  }

  /**
   * Takes the order lease of a domain until `untilMs` (store clock): true for one caller at a time,
   * cluster-wide (an atomic consume of 1 against a limit of 1). It lapses by itself if its holder dies.
   */
  async lease(domain: string, untilMs: number): Promise<boolean> {
    return (await this.store.consume(`acme:order:${domain}`, 1, 1, untilMs)).ok;
  }

  async release(domain: string, untilMs: number): Promise<void> {
    await this.store.increment(`acme:order:${domain}`, -1, untilMs);
  }
}
