import * as acme from 'acme-client';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { ChallengeBoard } from './challenge.js';
import { type AcmeHttpSettings, DEFAULT_HTTP, lastConnectionError, useDirectory } from './http.js';
import { backoffMs, renewalDecision, servable } from './renewal.js';
import type { AcmeConfig } from './schema.js';
import { type AcmeStore, certRecord, describeCert, type StoredCert } from './store.js';

/** A failure as one line: the message, else the code (a refused connect is an AggregateError without one). */
export function reason(e: unknown): string {
  const err = e as Error & { code?: string; errors?: unknown[] };
  const inner = err.errors?.map((x) => reason(x)).join('; ');
  return [err.message, err.code, inner].filter(Boolean).join(': ') || String(e);
}

/** Where issued certificates go: a listener's TlsTerminator (src/edge/tls/terminator.ts). */
export interface CertificateTarget {
  install(hosts: string[], cert: string, key: string): void;
}

export interface AcmeTiming {
  /** How often the renewal decision is taken when nothing failed. */
  checkEveryMs: number;
  /** First retry after a failure; doubles up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
  /** How long one node holds a domain's order lease at most. */
  leaseMs: number;
  /** When another node holds the lease: look again (for its certificate) after this long. */
  leaseWaitMs: number;
  http: AcmeHttpSettings;
}

export const DEFAULT_TIMING: AcmeTiming = {
  checkEveryMs: 3_600_000,
  retryMinMs: 60_000,
  retryMaxMs: 3_600_000,
  leaseMs: 300_000,
  leaseWaitMs: 15_000,
  http: DEFAULT_HTTP,
};

export interface AcmeManagerDeps {
  config: AcmeConfig;
  /** acme.caBundle resolved against the config file's directory. */
  caBundle?: string;
  store: AcmeStore;
  board: ChallengeBoard;
  clock: Clock;
  log: Logger;
  name: string;
  timing?: Partial<AcmeTiming>;
}

type Outcome = 'kept' | 'issued' | 'busy' | 'failed';

/**
 * The certificates of one listener's `tls.acme`: at start the stored ones (no CA contact while they
 * are not due), then a check loop that orders a certificate that is missing or due for renewal, one
 * node at a time (the store lease), and installs it into every target without a restart.
 */
export class AcmeManager {
  readonly #d: AcmeManagerDeps;
  readonly #t: AcmeTiming;
  readonly #current = new Map<string, StoredCert>();
  readonly #targets: CertificateTarget[] = [];
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #running: Promise<Outcome[]> | undefined;
  #closed = false;
  /** Orders placed by this process (status, tests). */
  orders = 0;
  lastError: string | undefined;

  constructor(deps: AcmeManagerDeps) {
    this.#d = deps;
    this.#t = { ...DEFAULT_TIMING, ...deps.timing };
    useDirectory(deps.config.directory, deps.caBundle, this.#t.http);
  }

  get domains(): string[] {
    return this.#d.config.domains.map((d) => d.toLowerCase());
  }

  /** Loads the stored certificates that are still valid, without contacting the CA. */
  async loadStored(): Promise<void> {
    for (const domain of this.domains) await this.#pickUp(domain);
  }

  /** Adds a target and installs the current certificates into it. */
  attach(target: CertificateTarget): void {
    this.#targets.push(target);
    for (const c of this.#current.values()) this.#installInto(target, c);
  }

  /** Starts the check loop: a check now, then again after checkEveryMs (or a backoff after a failure). */
  start(): void {
    this.#schedule(0);
  }

  /** One pass over the domains now: pick up newer stored certificates, order those missing or due. */
  check(): Promise<Outcome[]> {
    this.#running ??= (async () => {
      const out: Outcome[] = [];
      for (const domain of this.domains) out.push(await this.#ensure(domain));
      return out;
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Another node changed a stored certificate (store change notification): use it if newer. */
  async changed(domain: string): Promise<void> {
    if (this.domains.includes(domain)) await this.#pickUp(domain);
  }

  status(): unknown {
    return {
      directory: this.#d.config.directory,
      certificates: this.domains.map((d) => {
        const c = this.#current.get(d);
        return c ? describeCert(c) : { domain: d, status: 'none yet' };
      }),
      orders: this.orders,
      failures: this.#failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.check().then((out) => {
        if (out.includes('failed')) {
          this.#failures++;
          const wait = backoffMs(this.#failures, this.#t.retryMinMs, this.#t.retryMaxMs);
          this.#d.log.warn({ listener: this.#d.name, retryInMs: wait }, 'acme: retrying after a failure');
          this.#schedule(wait);
        } else {
          this.#failures = 0;
          this.#schedule(out.includes('busy') ? this.#t.leaseWaitMs : this.#t.checkEveryMs);
        }
      });
    }, ms);
    this.#timer.unref();
  }

  /** Uses the stored certificate of a domain when it is valid and not the one served already. */
  async #pickUp(domain: string): Promise<StoredCert | undefined> {
    const stored = await this.#d.store.cert(domain);
    if (stored && servable(stored, this.#d.clock.now()) && this.#current.get(domain)?.serial !== stored.serial)
      this.#use(stored, 'stored');
    return stored;
  }

  async #ensure(domain: string): Promise<Outcome> {
    const log = this.#d.log;
    try {
      const stored = await this.#pickUp(domain);
      if (renewalDecision(stored, this.#d.clock.now(), this.#d.config.renewBeforeDays) === 'keep') return 'kept';
      const until = this.#d.clock.now() + this.#t.leaseMs;
      if (!(await this.#d.store.lease(domain, until))) {
        log.info({ listener: this.#d.name, domain }, 'acme: another node is ordering this certificate');
        return 'busy';
      }
      try {
        // Checked again under the lease: another node may have stored a new one meanwhile.
        const again = await this.#pickUp(domain);
        if (renewalDecision(again, this.#d.clock.now(), this.#d.config.renewBeforeDays) === 'keep') return 'kept';
        const issued = await this.#order(domain, again ? 'renewal' : 'new');
        await this.#d.store.putCert(issued);
        this.#use(issued, 'issued');
        this.lastError = undefined;
        return 'issued';
      } finally {
        await this.#d.store.release(domain, until).catch(() => {});
      }
    } catch (e) {
      // The CA's problem detail or the network error; never a key (none is in these messages).
      const lost = e instanceof TypeError && /reading '(config|status)'/.test(e.message);
      const why = lost
        ? `no answer from ${this.#d.config.directory}: ${lastConnectionError(this.#d.config.directory) ?? 'timeout'}`
        : reason(e);
      this.lastError = `${domain}: ${why}`;
      log.error(
        { listener: this.#d.name, domain, reason: why },
        'acme: getting a certificate failed; the current certificate (if any) keeps serving',
      );
      return 'failed';
    }
  }

  async #order(domain: string, why: 'new' | 'renewal'): Promise<StoredCert> {
    const { config, store, board, log } = this.#d;
    this.orders++;
    log.info({ listener: this.#d.name, domain, why, directory: config.directory }, 'acme: ordering a certificate');
    const account = await store.account(config.directory, config.email, async () =>
      (await acme.crypto.createPrivateEcdsaKey('P-256')).toString(),
    );
    const client = new acme.Client({ directoryUrl: config.directory, accountKey: account.key });
    const key =
      config.keyType === 'rsa2048'
        ? await acme.crypto.createPrivateRsaKey(2048)
        : await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: domain, altNames: [domain] }, key);
    const cert = await client.auto({
      csr,
      email: config.email,
      termsOfServiceAgreed: config.termsOfServiceAgreed,
      challengePriority: ['http-01'],
      // The CA checks; a self-check from inside would need the public DNS name to reach this host.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') throw new Error(`unsupported challenge ${challenge.type}`);
        await board.add(challenge.token, keyAuthorization, this.#t.leaseMs);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        await board.remove(challenge.token);
      },
    });
    return certRecord(domain, cert, key.toString(), this.#d.clock.now());
  }

  #use(c: StoredCert, how: 'stored' | 'issued'): void {
    for (const t of this.#targets) if (!this.#installInto(t, c)) return;
    this.#current.set(c.domain, c);
    this.#d.log.info(
      { listener: this.#d.name, ...describeCert(c), notAfter: new Date(c.notAfter).toISOString(), how },
      'acme: certificate installed',
    );
  }

  #installInto(t: CertificateTarget, c: StoredCert): boolean {
    try {
      t.install([c.domain], c.cert, c.key);
      return true;
    } catch (e) {
      this.#d.log.error(
        { listener: this.#d.name, domain: c.domain, reason: (e as Error).message },
        'acme: the certificate could not be installed; the previous one keeps serving',
      );
      return false;
    }
  }
}
