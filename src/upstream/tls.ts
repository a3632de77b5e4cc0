import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { UpstreamConfig } from './schema.js';

/** What a named upstream's `tls` files hold: undici's `connect` TLS options. */
export interface UpstreamTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Reads an upstream's caFile, certFile and keyFile (relative to the config file) and checks them:
 * PEM certificates, a private key that belongs to the client certificate. Problems come back by
 * field (`caFile`, `certFile`, `keyFile`) for located config errors; the files only when there is none.
 */
export function readUpstreamTls(
  tls: UpstreamConfig['tls'],
  dir: string,
): { files?: UpstreamTlsFiles; problems: { field: string; message: string }[] } {
  const problems: { field: string; message: string }[] = [];
  const files: UpstreamTlsFiles = {};
  const read = (field: 'caFile' | 'certFile' | 'keyFile', what: string): string | undefined => {
    const name = tls[field];
    if (!name) return undefined;
    const path = resolve(dir, name);
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push({ field, message: `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code}` });
      return undefined;
    }
  };
  const ca = read('caFile', 'CA file');
  if (ca !== undefined) {
    if (PEM_CERT.test(ca)) files.ca = ca;
    else problems.push({ field: 'caFile', message: `${resolve(dir, tls.caFile!)} holds no PEM certificate` });
  }
  const cert = read('certFile', 'client certificate');
  const key = read('keyFile', 'client key');
  let leaf: X509Certificate | undefined;
  if (cert !== undefined) {
    try {
      leaf = new X509Certificate(cert);
      files.cert = cert;
    } catch (e) {
      problems.push({
        field: 'certFile',
        message: `${resolve(dir, tls.certFile!)} is not a PEM certificate: ${(e as Error).message}`,
      });
    }
  }
  if (key !== undefined) {
    try {
      const k = createPrivateKey(key);
      if (leaf && !leaf.checkPrivateKey(k))
        problems.push({
          field: 'keyFile',
          message: `${resolve(dir, tls.keyFile!)} is not the private key of the certificate in ${resolve(dir, tls.certFile!)}`,
        });
      else files.key = key;
    } catch (e) {
      problems.push({
        field: 'keyFile',
        message: `${resolve(dir, tls.keyFile!)} is not a PEM private key: ${(e as Error).message}`,
      });
    }
  }
  return problems.length ? { problems } : { files, problems };
}
