import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type CryptoKey } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(alg: string, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export interface JwksServer {
  url: string;
  jwksUri: string;
  /** Keys served now; replace to rotate. */
  keys: SigningKey[];
  jwksFetches: number;
  discoveryFetches: number;
  close(): Promise<void>;
}

/** A real issuer on 127.0.0.1:0: /jwks and /.well-known/openid-configuration (issuer = its own URL). */
export async function startJwksServer(keys: SigningKey[]): Promise<JwksServer> {
  const box: { server?: Server } = {};
  const state: JwksServer = {
    url: '',
    jwksUri: '',
    keys,
    jwksFetches: 0,
    discoveryFetches: 0,
    close: () =>
      new Promise<void>((r) => {
        box.server!.closeAllConnections();
        box.server!.close(() => r());
      }),
  };
  const server = (box.server = createServer((req, res) => {
    let body: string;
    if (req.url === '/jwks') {
      state.jwksFetches++;
      body = JSON.stringify({ keys: state.keys.map((k) => k.publicJwk) });
    } else if (req.url === '/.well-known/openid-configuration') {
      state.discoveryFetches++;
      body = JSON.stringify({ issuer: state.url, jwks_uri: state.jwksUri });
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.jwksUri = `${state.url}/jwks`;
  return state;
}
