import { loadTls } from '../tls/certs.js';
import type { ExtraListenerConfig, TlsConfig } from '../tls/schema.js';
import type { DomainConfig } from './schema.js';

/**
 * The TLS side of custom domains: each domain's certificate (served by SNI for its name, ahead of
 * the listener's own, as `hosts:` entries are) and its mTLS truststore join every TLS listener's
 * `tls`, so there is one terminator and one place (src/edge/tls) that loads and reloads them.
 */
export function withDomainTls(tls: TlsConfig, domains: readonly DomainConfig[]): TlsConfig {
  if (!domains.length) return tls;
  const certificates = [...tls.certificates];
  const mtls = [...tls.mtls];
  for (const d of domains) {
    if (d.certificate) certificates.push({ ...d.certificate, hosts: [d.name.toLowerCase()] });
    if (d.mtls && !mtls.some((m) => m.domain.toLowerCase() === d.name.toLowerCase()))
      mtls.push({ domain: d.name, truststore: d.mtls.truststore });
  }
  return { ...tls, certificates, mtls };
}

/** server.extraListeners with the domains' certificates and truststores in each TLS listener. */
export function listenersWithDomains(config: {
  server: { extraListeners: ExtraListenerConfig[] };
  domains: readonly DomainConfig[];
}): ExtraListenerConfig[] {
  const { domains } = config;
  if (!domains.length) return config.server.extraListeners;
  return config.server.extraListeners.map((l) => (l.tls ? { ...l, tls: withDomainTls(l.tls, domains) } : l));
}

type Issue = (path: (string | number)[], message: string) => void;

/**
 * `portico validate`/`start`: each domain's certificate, key and truststore read and match (located at
 * `domains.N.certificate.cert` …), and a domain with a certificate or mTLS has a TLS listener to be on.
 */
export function checkDomainTls(
  domains: readonly DomainConfig[],
  listeners: readonly ExtraListenerConfig[],
  dir: string,
  issue: Issue,
): void {
  const hasTls = listeners.some((l) => l.tls);
  domains.forEach((d, i) => {
    if ((d.certificate || d.mtls) && !hasTls) {
      issue(
        ['domains', i, d.certificate ? 'certificate' : 'mtls'],
        `needs a TLS listener to be served on (server.extraListeners[].tls); there is none`,
      );
      return;
    }
    if (!d.certificate && !d.mtls) return;
    const tls: TlsConfig = {
      certificates: d.certificate ? [d.certificate] : [],
      mtls: d.mtls ? [{ domain: d.name, truststore: d.mtls.truststore }] : [],
      minVersion: 'TLSv1.2',
      ciphers: 'DEFAULT',
    };
    for (const p of loadTls(tls, dir).problems) {
      const [kind, , field] = p.path;
      issue(['domains', i, kind === 'mtls' ? 'mtls' : 'certificate', String(field)], p.message);
    }
  });
}
