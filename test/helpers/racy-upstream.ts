import { type AddressInfo, createServer, type Socket } from 'node:net';

export interface RacyUpstream {
  port: number;
  /** Requests answered so far. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * The stale keep-alive race (reliability reference §1.9): an upstream that answers, then closes the
 * kept-alive connection 0-3 ms later with no Connection: close or Keep-Alive hint, while the
 * gateway's pool may be reusing it.
 */
export async function startRacyUpstream(): Promise<RacyUpstream> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        requests++;
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        setTimeout(() => sock.destroy(), Math.random() * 3);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
