import type { X509Certificate } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { createSecureContext, type SecureContext, type TLSSocket, type TlsOptions } from 'node:tls';
import { contextFor, loadTls, type TlsMaterial } from './certs.js';
import type { TlsConfig } from './schema.js';

/**
 * One TLS listener's certificates, swappable while it runs: `options()` is what any TLS server
 * takes (node:https createServer today, the HTTP engine's `tls` option later). The SNICallback reads
 * the current material at each handshake, so a swap (config reload or a changed PEM file) applies to
 * new handshakes and leaves open connections as they are.
 */
export class TlsTerminator {
  #material: TlsMaterial;
  /** Certificates installed at run time (ACME, src/edge/acme/), by exact host; they win over the files'. */
  #managed = new Map<string, SecureContext>();
  #config: TlsConfig;
  #baseDir: string;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #onReload: (err: Error | undefined) => void;

  constructor(config: TlsConfig, baseDir: string, onReload: (err: Error | undefined) => void = () => {}) {
    this.#config = config;
    this.#baseDir = baseDir;
    this.#onReload = onReload;
    this.#material = TlsTerminator.#load(config, baseDir);
  }

  static #load(config: TlsConfig, baseDir: string): TlsMaterial {
    const { material, problems } = loadTls(config, baseDir);
    if (!material) throw new Error(problems.map((p) => `tls.${p.path.join('.')}: ${p.message}`).join('; '));
    return material;
  }

  get config(): TlsConfig {
    return this.#config;
  }

  /** Options for a TLS server. requestCert only when some domain requires mTLS (checked per request). */
  options(): TlsOptions {
    const mtls = this.#config.mtls.length > 0;
    return {
      minVersion: this.#config.minVersion,
      maxVersion: 'TLSv1.3',
      ciphers: this.#config.ciphers,
      honorCipherOrder: true,
      SNICallback: (servername, cb) => {
        const ctx = this.#managed.get(servername.toLowerCase()) ?? contextFor(this.#material, servername);
        // No certificate for this name yet (an ACME one not issued): the handshake fails.
        if (ctx) cb(null, ctx);
        else cb(new Error(`no certificate for ${servername}`));
      },
      // A context with the default certificate answers clients that send no SNI.
      ...(this.#material.fallback ? { secureContext: this.#material.fallback } : {}),
      requestCert: mtls,
      rejectUnauthorized: false,
    };
  }

  /**
   * Installs a certificate (PEM chain, leaf first) and its key for these exact hosts, for new
   * handshakes; open connections keep theirs. Throws (nothing changes) if OpenSSL refuses them.
   */
  install(hosts: string[], cert: string, key: string): void {
    const ctx = createSecureContext({
      minVersion: this.#config.minVersion,
      maxVersion: 'TLSv1.3',
      ciphers: this.#config.ciphers,
      cert,
      key,
      ...(this.#material.clientCa ? { ca: this.#material.clientCa } : {}),
    });
    for (const h of hosts) this.#managed.set(h.toLowerCase(), ctx);
  }

  /** Loads new certificates (a config reload or a file change); on error the current ones stay. */
  reload(config: TlsConfig = this.#config): void {
    this.#material = TlsTerminator.#load(config, this.#baseDir);
    this.#config = config;
    if (this.#watchers.length) this.watch();
  }

  /** Watches every PEM file (its directory, as editors and cert managers replace files by rename). */
  watch(): void {
    this.unwatch();
    const dirs = new Set(this.#material.files.map((f) => f.slice(0, f.lastIndexOf('/')) || '/'));
    const names = new Set(this.#material.files.map((f) => f.slice(f.lastIndexOf('/') + 1)));
    for (const dir of dirs) {
      const w = watch(dir, (_e, name) => {
        if (name && !names.has(name)) return;
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
          try {
            this.reload();
            this.#onReload(undefined);
          } catch (e) {
            this.#onReload(e as Error);
          }
        }, 100);
      });
      w.on('error', (e) => this.#onReload(e));
      w.unref();
      this.#watchers.push(w);
    }
  }

  unwatch(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    clearTimeout(this.#timer);
  }

  /**
   * Whether a request on `socket` may pass mTLS: true when its SNI domain requires none, else the
   * client sent a certificate whose chain verified (socket.authorized) and was issued from a CA of
   * that domain's truststore.
   */
  clientAllowed(socket: TLSSocket): boolean {
    const servername = (socket as TLSSocket & { servername?: string | false }).servername;
    const store = servername ? this.#material.truststores.get(servername.toLowerCase()) : undefined;
    if (!store) return true;
    if (!socket.authorized) return false;
    const peer = socket.getPeerX509Certificate();
    return !!peer && issuedFrom(peer, store, socket);
  }
}

function issuedFrom(peer: X509Certificate, store: X509Certificate[], socket: TLSSocket): boolean {
  // Walk the chain the client sent (leaf, intermediates): one link must be issued by a truststore CA.
  let cert: X509Certificate | undefined = peer;
  let detailed = socket.getPeerCertificate(true) as { issuerCertificate?: unknown; raw?: Buffer } | undefined;
  for (let i = 0; cert && i < 10; i++) {
    const c: X509Certificate = cert;
    if (store.some((ca) => c.checkIssued(ca) && c.verify(ca.publicKey))) return true;
    const next = detailed?.issuerCertificate as { issuerCertificate?: unknown; raw?: Buffer } | undefined;
    if (!next || next === detailed || !next.raw) return false;
    detailed = next;
    cert = new (peer.constructor as typeof X509Certificate)(next.raw);
  }
  return false;
}
