// The JWT scenario's identity provider: an RS256 key pair whose key set this process serves on 127.0.0.1, and the
// tokens it signs (bench/lib/targets.ts gives them to portico-jwt).
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export const JWT_ISSUER = 'https://issuer.bench.portico.test';
export const JWT_AUDIENCE = 'portico-bench';

export interface Jwks {
  url: string;
  /** A fresh RS256 token (1 h) for the scenario's requests. */
  token(): Promise<string>;
  close(): Promise<void>;
}

/**
 * An RS256 key pair and its key set, served by this process on 127.0.0.1 (Portico fetches it once and caches it),
 * like a Cognito user pool's: the JWT scenario pays a real RSA signature check per request.
 */
export async function startJwks(): Promise<Jwks> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  const server: HttpServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    url,
    token: () =>
      new SignJWT({ scope: 'greeting/read' })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' })
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setSubject('bench-user')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
