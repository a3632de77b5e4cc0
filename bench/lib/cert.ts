// The one certificate of the HTTPS rows: made once per run into the bench's scratch dir (ECDSA P-256, signed by a
// throwaway CA, for 127.0.0.1 and localhost), served by nginx's `ssl_certificate` and Portico's TLS listener alike.
// It is the tests' generator (test/helpers/certs.ts, @peculiar/x509), so the bench makes certificates as they do.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestCa } from '../../test/helpers/certs.js';

export interface BenchCert {
  certFile: string;
  keyFile: string;
  /** The CA's PEM, for clients that verify (the preflight). */
  ca: string;
}

export async function makeBenchCert(dir: string): Promise<BenchCert> {
  const ca = await createTestCa('Portico Bench CA');
  const leaf = await ca.leaf(['localhost', '127.0.0.1']);
  const certFile = join(dir, 'bench-tls.pem');
  const keyFile = join(dir, 'bench-tls.key');
  await writeFile(certFile, leaf.cert);
  await writeFile(keyFile, leaf.key, { mode: 0o600 });
  return { certFile, keyFile, ca: ca.cert };
}
