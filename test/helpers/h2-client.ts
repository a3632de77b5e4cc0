import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A node:http2 client session (TLS: trusts `ca`, or not verified). */
export function h2session(origin: string, ca?: string): ClientHttp2Session {
  const s = connect(
    origin,
    origin.startsWith('https:') ? { ...(ca ? { ca } : { rejectUnauthorized: false }), servername: 'localhost' } : {},
  );
  s.on('error', () => {});
  return s;
}

/** One request on a session; resolves with the whole response. */
export function h2call(
  session: ClientHttp2Session,
  path: string,
  opts: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer } = {},
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': opts.method ?? 'GET', ':path': path, ...opts.headers });
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      headers = h;
      status = Number(h[':status']);
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', reject);
    req.end(opts.body);
  });
}
