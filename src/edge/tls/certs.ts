import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { TlsConfig } from './schema.js';

/** A problem with one listener's TLS files, at a path below its `tls` key (e.g. ['certificates', 0, 'cert']). */
export interface TlsProblem {
  path: (string | number)[];
  message: string;
}

/** What one listener's TLS config becomes: a secure context per host, a default one, mTLS truststores. */
export interface TlsMaterial {
  /** Exact host → context; wildcard entries are kept as '*.example.com'. */
  byHost: Map<string, SecureContext>;
  /** The first certificate's context; none when the listener has only ACME certificates. */
  fallback?: SecureContext;
  /** Domain (lower case) → the CA certificates of its truststore. */
  truststores: Map<string, X509Certificate[]>;
  /** Every file read, to be watched. */
  files: string[];
  /** The truststores' CA PEMs, for the client certificate requests of contexts made later (ACME). */
  clientCa?: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readPem(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return text;
}

function parseCerts(text: string, file: string): X509Certificate[] {
  const blocks = text.match(PEM_CERT) ?? [];
  if (!blocks.length) throw new Error(`${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new Error(`${file}: certificate ${i + 1} is not valid PEM/DER: ${(e as Error).message}`);
    }
  });
}

/** The DNS names of a certificate: its subjectAltName DNS entries, else its CN. */
export function certificateHosts(cert: X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  const dns = san
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  if (dns.length) return dns;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/**
 * Reads and checks every file of one listener's `tls` (certificate chains, keys, truststores) and
 * builds the secure contexts. Collects every problem instead of stopping at the first; returns the
 * material only when there is none.
 */
export function loadTls(tls: TlsConfig, baseDir: string): { material?: TlsMaterial; problems: TlsProblem[] } {
  const problems: TlsProblem[] = [];
  const byHost = new Map<string, SecureContext>();
  const pinned = new Set<string>();
  const files: string[] = [];
  let fallback: SecureContext | undefined;
  const common = { minVersion: tls.minVersion, maxVersion: 'TLSv1.3' as const, ciphers: tls.ciphers };
  const truststores = new Map<string, X509Certificate[]>();
  const caPem: string[] = [];
  tls.mtls.forEach((m, i) => {
    const file = resolve(baseDir, m.truststore);
    files.push(file);
    try {
      const text = readPem(file, 'truststore');
      truststores.set(m.domain.toLowerCase(), parseCerts(text, file));
      caPem.push(text);
    } catch (e) {
      problems.push({ path: ['mtls', i, 'truststore'], message: (e as Error).message });
    }
  });
  tls.certificates.forEach((c, i) => {
    const certFile = resolve(baseDir, c.cert);
    const keyFile = resolve(baseDir, c.key);
    files.push(certFile, keyFile);
    let chain: X509Certificate[];
    let certText: string;
    try {
      certText = readPem(certFile, 'certificate');
      chain = parseCerts(certText, certFile);
    } catch (e) {
      problems.push({ path: ['certificates', i, 'cert'], message: (e as Error).message });
      return;
    }
    let keyText: string;
    try {
      keyText = readPem(keyFile, 'key');
      const key = createPrivateKey(keyText);
      if (!chain[0]!.checkPrivateKey(key)) {
        problems.push({
          path: ['certificates', i, 'key'],
          message: `${keyFile} is not the private key of the certificate in ${certFile} (${chain[0]!.subject.replace(/\n/g, ', ')})`,
        });
        return;
      }
    } catch (e) {
      const msg = (e as Error).message;
      problems.push({
        path: ['certificates', i, 'key'],
        message: msg.startsWith('cannot read') ? msg : `${keyFile} is not a PEM private key: ${msg}`,
      });
      return;
    }
    let ctx: SecureContext;
    try {
      ctx = createSecureContext({
        ...common,
        cert: certText,
        key: keyText,
        ...(caPem.length ? { ca: caPem.join('\n') } : {}),
      });
    } catch (e) {
      problems.push({ path: ['certificates', i, 'cert'], message: `${certFile}: ${(e as Error).message}` });
      return;
    }
    fallback ??= ctx;
    // Names given with `hosts:` (and a custom domain's own certificate) win over names read from SANs.
    const hosts = c.hosts?.map((h) => h.toLowerCase()) ?? certificateHosts(chain[0]!);
    for (const h of hosts) {
      if (pinned.has(h) || (!c.hosts && byHost.has(h))) continue;
      byHost.set(h, ctx);
      if (c.hosts) pinned.add(h);
    }
  });
  if (problems.length) return { problems };
  const extra = { ...(fallback ? { fallback } : {}), ...(caPem.length ? { clientCa: caPem.join('\n') } : {}) };
  return { material: { byHost, truststores, files, ...extra }, problems };
}

/** The context for an SNI name: exact host, then the wildcard one label up, else the default (if any). */
export function contextFor(m: TlsMaterial, servername: string | undefined): SecureContext | undefined {
  if (!servername) return m.fallback;
  const host = servername.toLowerCase();
  const exact = m.byHost.get(host);
  if (exact) return exact;
  const dot = host.indexOf('.');
  return (dot > 0 && m.byHost.get(`*${host.slice(dot)}`)) || m.fallback;
}
