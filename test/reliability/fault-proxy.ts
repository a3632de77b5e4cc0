/**
 * A small TCP fault proxy for tests (Toxiproxy's toxics, which Debian and npm don't carry; reliability
 * reference §2). It sits between the gateway and an upstream on 127.0.0.1 and, per connection, applies
 * one fault to the upstream's reply stream:
 *
 * - `none`: pass bytes both ways;
 * - `refuse`: reset the connection as soon as it is accepted (a dead port, seen by the client as
 *   ECONNRESET before any byte);
 * - `reset`: pass the first `afterBytes` bytes of the reply, then reset both sides (RST);
 * - `halfClose`: pass `afterBytes` bytes, then end the reply side cleanly (FIN) and drop the upstream;
 * - `stall`: pass `afterBytes` bytes, then nothing more (the connection stays open);
 * - `drip`: pass the reply `bytes` at a time, one slice every `everyMs`.
 *
 * The fault is chosen per accepted connection by `setFault` (a value, or a function of the
 * connection's index), so a test can fail only the first connection, every other one, and so on.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export type Fault =
  | { kind: 'none' }
  | { kind: 'refuse' }
  | { kind: 'reset'; afterBytes: number }
  | { kind: 'halfClose'; afterBytes: number }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'drip'; bytes: number; everyMs: number };

export interface FaultProxy {
  port: number;
  origin: string;
  /** Connections accepted so far. */
  connections: number;
  setFault(f: Fault | ((connection: number) => Fault)): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, initial: Fault = { kind: 'none' }): Promise<FaultProxy> {
  let choose: (n: number) => Fault = () => initial;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server: Server = createServer((client) => {
    track(client);
    const fault = choose(proxy.connections++);
    if (fault.kind === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (fault.kind !== 'stall') client.end();
    });
    let passed = 0;
    let cut = false;
    const queue: Buffer[] = [];
    let dripping: NodeJS.Timeout | undefined;
    upstream.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (fault.kind === 'none') {
        client.write(chunk);
        return;
      }
      if (fault.kind === 'drip') {
        queue.push(chunk);
        if (!dripping) {
          dripping = setInterval(() => {
            const head = queue[0];
            if (!head) return;
            client.write(head.subarray(0, fault.bytes));
            if (head.length > fault.bytes) queue[0] = head.subarray(fault.bytes);
            else queue.shift();
          }, fault.everyMs);
          timers.add(dripping);
          client.on('close', () => clearInterval(dripping));
        }
        return;
      }
      const room = fault.afterBytes - passed;
      if (room > 0) client.write(chunk.subarray(0, room));
      passed += Math.min(room > 0 ? room : 0, chunk.length);
      if (chunk.length < room) return;
      cut = true;
      if (fault.kind === 'reset') {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      } else if (fault.kind === 'halfClose') {
        client.end();
        upstream.destroy();
      } else {
        upstream.pause();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const proxy: FaultProxy = {
    port,
    origin: `http://127.0.0.1:${port}`,
    connections: 0,
    setFault(f) {
      choose = typeof f === 'function' ? f : () => f;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  return proxy;
}
