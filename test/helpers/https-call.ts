import { request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Issued } from './certs.js';

export interface HttpsReply {
  status: number;
  body: string;
  /** The server certificate the handshake got. */
  peer: PeerCertificate;
}

/** One HTTPS GET on a fresh connection (no agent): SNI and Host are `host`, optionally a client certificate. */
export function httpsGet(
  port: number,
  host: string,
  path: string,
  opts: { ca?: string; client?: Issued } = {},
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: host,
        headers: { host },
        agent: false,
        ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }),
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
