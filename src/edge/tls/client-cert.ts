import type { TLSSocket } from 'node:tls';

/**
 * `$context.identity.clientCert` as API Gateway sends it with mutual TLS (Lambda proxy event
 * `requestContext.identity.clientCert`, REST; `requestContext.authentication.clientCert`, HTTP APIs):
 * the PEM, subject and issuer distinguished names, serial number (hex pairs, colon separated), and validity in OpenSSL's
 * "May 28 12:30:02 2019 GMT" form.
 */
export interface ClientCert {
  clientCertPem: string;
  subjectDN: string;
  issuerDN: string;
  serialNumber: string;
  validity: { notBefore: string; notAfter: string };
}

/** Node prints a DN one RDN per line, most significant first; AWS gives RFC 2253 order, comma joined. */
function dn(lines: string): string {
  return lines.split('\n').filter(Boolean).reverse().join(',');
}

/** The client certificate of a TLS socket, or undefined (plain HTTP, or no certificate sent). */
export function clientCertOf(socket: unknown): ClientCert | undefined {
  const s = socket as Partial<TLSSocket>;
  if (typeof s.getPeerX509Certificate !== 'function') return undefined;
  const cert = s.getPeerX509Certificate();
  if (!cert) return undefined;
  const hex = cert.serialNumber.toLowerCase();
  const even = hex.length % 2 ? `0${hex}` : hex;
  return {
    clientCertPem: cert.toString(),
    subjectDN: dn(cert.subject),
    issuerDN: dn(cert.issuer),
    serialNumber: even.match(/../g)!.join(':'),
    validity: { notBefore: cert.validFrom, notAfter: cert.validTo },
  };
}
