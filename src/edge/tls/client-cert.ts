import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

/**
 * `$context.identity.clientCert` as API Gateway sends it with mutual TLS (Lambda proxy event
 * `requestContext.identity.clientCert`, REST and payload 1.0; `requestContext.authentication.clientCert`,
 * HTTP APIs payload 2.0): the PEM, subject and issuer distinguished names, serial number (hex pairs,
 * colon separated), and validity in OpenSSL's "May 28 12:30:02 2019 GMT" form (docs/edge.md).
 */
export interface ClientCert {
  clientCertPem: string;
  subjectDN: string;
  issuerDN: string;
  serialNumber: string;
  validity: { notBefore: string; notAfter: string };
}

/** Node gives a DN as an object in certificate order (most significant first); AWS prints RFC 2253 order. */
function dn(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  const rdns: string[] = [];
  for (const [k, v] of Object.entries(name)) for (const one of Array.isArray(v) ? v : [v]) rdns.push(`${k}=${one}`);
  return rdns.reverse().join(',');
}

/** One read per connection: a keep-alive connection's requests share it (and its absence). */
const cache = new WeakMap<object, ClientCert | null>();

function read(s: TLSSocket): ClientCert | null {
  // Only a certificate whose chain verified against the listener's truststores (socket.authorized);
  // the per-domain truststore check is TlsTerminator.clientAllowed, before any request is served.
  if (!s.authorized) return null;
  const peer = s.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  if (!peer?.raw) return null;
  const hex = (peer.serialNumber ?? '').toLowerCase();
  const even = hex.length % 2 ? `0${hex}` : hex;
  return {
    clientCertPem: new X509Certificate(peer.raw).toString(),
    subjectDN: dn(peer.subject as unknown as Record<string, string | string[]>),
    issuerDN: dn(peer.issuer as unknown as Record<string, string | string[]>),
    serialNumber: even.match(/../g)?.join(':') ?? '',
    validity: { notBefore: peer.valid_from, notAfter: peer.valid_to },
  };
}

/**
 * The verified client certificate of the connection a request came on, or undefined (plain HTTP,
 * no certificate, or one that did not verify). Takes any socket: only a real tls.TLSSocket has one.
 */
export function clientCertOf(socket: unknown): ClientCert | undefined {
  const s = socket as Partial<TLSSocket> | undefined;
  if (!s || typeof s.getPeerCertificate !== 'function') return undefined;
  let c = cache.get(s);
  if (c === undefined) {
    c = read(s as TLSSocket);
    cache.set(s, c);
  }
  return c ?? undefined;
}
