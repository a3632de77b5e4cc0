import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** Test certificates made in the test by @peculiar/x509: a CA, leaves signed by it, client certificates. */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Issued {
  cert: string;
  key: string;
  /** The certificate as @peculiar/x509 holds it (serial, subject). */
  x509: x509.X509Certificate;
}

export interface TestCa extends Issued {
  /** A server certificate for these DNS names or IP addresses (the first is the CN). */
  leaf(hosts: string[], opts?: { notAfter?: Date }): Promise<Issued>;
  /** A client certificate (extended key usage clientAuth). */
  client(cn: string): Promise<Issued>;
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

let serial = 1000;
const nextSerial = () => (serial++).toString(16).padStart(4, '0') + 'a1';

export async function createTestCa(name = 'Portico Test CA'): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}, O=Portico Tests`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86400_000),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const issue = async (subject: string, extensions: x509.Extension[], notAfter?: Date): Promise<Issued> => {
    const k = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: nextSerial(),
      subject,
      issuer: ca.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: notAfter ?? new Date(Date.now() + 86400_000),
      signingAlgorithm: ALG,
      publicKey: k.publicKey,
      signingKey: keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false),
        ...extensions,
      ],
    });
    return { cert: cert.toString('pem'), key: await pemKey(k.privateKey), x509: cert };
  };
  return {
    cert: ca.toString('pem'),
    key: await pemKey(keys.privateKey),
    x509: ca,
    leaf: (hosts, opts) =>
      issue(
        `CN=${hosts[0]}`,
        [
          new x509.SubjectAlternativeNameExtension(
            hosts.map((h) => ({ type: /^[\d.]+$|:/.test(h) ? ('ip' as const) : ('dns' as const), value: h })),
          ),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        ],
        opts?.notAfter,
      ),
    client: (cn) =>
      issue(`CN=${cn}, O=Portico Clients`, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]),
  };
}
