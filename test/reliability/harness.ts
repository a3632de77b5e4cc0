/**
 * Raw-socket harness for the smuggling corpus: a strict recording upstream (Node's default parser,
 * which is what most Node backends run) and an exchange that sends one payload, reads every response,
 * and probes the connection afterwards with a clean request to detect a desync.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** One request as the recording upstream parsed it. */
export interface Seen {
  /** The payload's lane: which loopback address the front saw the client at (see ipOf). */
  lane: number;
  method: string;
  url: string;
  host: string | undefined;
  /** Lower-cased header names with their raw values, in order. */
  headers: [string, string][];
  body: Buffer;
  /** false when the request was aborted before its body ended. */
  complete: boolean;
  /** The request ended or was aborted: nothing more will be recorded for it. */
  done: boolean;
}

export interface RecordingUpstream {
  port: number;
  origin: string;
  seen: Seen[];
  /** Parse errors the upstream's strict parser reported (a front that forwarded garbage). */
  clientErrors: string[];
  close(): Promise<void>;
}

/**
 * Every payload is sent from its own loopback address (lane n → 127.1.x.y), so what reaches the
 * upstream is attributed to its payload by the X-Forwarded-For hop the front adds, however late.
 */
export function ipOf(lane: number): string {
  return `127.1.${Math.floor(lane / 250)}.${(lane % 250) + 2}`;
}

function laneFromIp(ip: string): number {
  const m = /127\.1\.(\d+)\.(\d+)$/.exec(ip.trim());
  return m ? Number(m[1]) * 250 + Number(m[2]) - 2 : -1;
}

/** The lane of a request: from the X-Forwarded-For hop the front added, else from the peer. */
function laneOf(req: IncomingMessage): number {
  const xff = req.headers['x-forwarded-for'];
  const last = (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',').pop()?.trim();
  return laneFromIp(last || (req.socket.remoteAddress ?? ''));
}

/**
 * A recording upstream. `direct` mode records the peer's own address as lane (it is then the
 * reference parser the payload is sent to directly).
 */
export async function startRecordingUpstream(direct = false): Promise<RecordingUpstream> {
  const seen: Seen[] = [];
  const clientErrors: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.push([(req.rawHeaders[i] as string).toLowerCase(), req.rawHeaders[i + 1] as string]);
    const rec: Seen = {
      lane: direct ? laneFromIp(req.socket.remoteAddress ?? '') : laneOf(req),
      method: req.method ?? '',
      url: req.url ?? '',
      host: req.headers.host,
      headers,
      body: Buffer.alloc(0),
      complete: false,
      done: false,
    };
    seen.push(rec);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      rec.body = Buffer.concat(chunks);
      rec.complete = true;
      rec.done = true;
      const body = req.url === '/__end' ? 'probe' : 'ok';
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    });
    req.on('error', () => {});
    req.on('close', () => {
      rec.done = true;
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A connection closed mid-message is an aborted request (the front's client went away), not garbage.
    if (err.code !== 'ECONNRESET' && err.code !== 'HPE_INVALID_EOF_STATE') clientErrors.push(err.code ?? err.message);
    socket.destroy();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    seen,
    clientErrors,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Exchange {
  /** Status codes of the complete responses to the payload (the probe's excluded). */
  statuses: number[];
  /** The server closed the connection. */
  closed: boolean;
  /** Some response to the payload carried Connection: close. */
  saidClose: boolean;
  /** The probe was sent (the payload's responses left the connection open) and what it got. */
  probe: 'not-sent' | 'ok' | 'broken';
  /** The front neither answered nor closed within the bound (it is waiting for more bytes). */
  waiting: boolean;
}

export const PROBE = 'GET /__end HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';

interface ParsedResponse {
  status: number;
  close: boolean;
  body: string;
  length: number;
}

/** Parses complete responses from the start of `data`; stops at the first incomplete one. */
function parseResponses(data: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end === -1) return out;
    const head = data.slice(at, end);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m) return out;
    const status = Number(m[1]);
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
    let bodyEnd = end + 4;
    if (status === 100) {
      at = bodyEnd;
      continue;
    }
    if (cl) bodyEnd += Number(cl[1]);
    else if (chunked) {
      const term = data.indexOf('\r\n0\r\n\r\n', end);
      if (term === -1 && !data.startsWith('0\r\n\r\n', end + 4)) return out;
      bodyEnd = term === -1 ? end + 9 : term + 7;
    }
    if (bodyEnd > data.length) return out;
    out.push({
      status,
      close: /\r\nconnection:\s*close/i.test(head),
      body: data.slice(end + 4, bodyEnd),
      length: bodyEnd - at,
    });
    at = bodyEnd;
  }
}

/**
 * Sends `payload` from 127.0.0.`lane`, reads responses; once the payload's responses are in and the
 * connection is still open, sends PROBE (a clean request with Connection: close) and checks it gets
 * its own clean answer. Bounded by `limitMs` of silence.
 */
export function exchange(
  port: number,
  payload: string,
  lane: number,
  limitMs = 1500,
  forwardedSoFar?: () => number,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress: ipOf(lane) });
    const started = Date.now();
    let data = '';
    let probeSentAt = -1;
    let closed = false;
    let timer: NodeJS.Timeout;
    const finish = () => {
      clearTimeout(timer);
      const all = parseResponses(data);
      const last = all[all.length - 1];
      const probeOk = probeSentAt !== -1 && last?.status === 200 && last.body === 'probe';
      const mine = probeOk ? all.slice(0, -1) : all;
      const probe = probeSentAt === -1 ? 'not-sent' : probeOk ? 'ok' : 'broken';
      resolve({
        statuses: mine.map((r) => r.status),
        closed,
        saidClose: mine.some((r) => r.close),
        probe,
        waiting: !closed && all.length === 0,
      });
      sock.destroy();
    };
    // Silence ends the exchange, unless the upstream got more requests from this payload than we got
    // answers: then the answers are on their way (a loaded machine), so wait on, up to 15 s in all.
    const quiet = () => {
      const waitingForAnswers = forwardedSoFar !== undefined && forwardedSoFar() > parseResponses(data).length;
      if (waitingForAnswers && Date.now() - started < 15_000) timer = setTimeout(quiet, limitMs);
      else finish();
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(quiet, limitMs);
    };
    sock.on('connect', () => {
      sock.write(Buffer.from(payload, 'latin1'));
      arm();
    });
    sock.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      arm();
      if (probeSentAt !== -1) return;
      const rs = parseResponses(data);
      const last = rs[rs.length - 1];
      // Every byte received so far is whole responses, and the last leaves the connection open.
      if (last && rs.reduce((n, r) => n + r.length, 0) === data.length && !last.close && last.status < 400) {
        // The payload may hold more pipelined requests still being answered: probe only when quiet.
        setImmediate(() => {
          if (probeSentAt !== -1 || closed) return;
          const now = parseResponses(data);
          if (now.length !== rs.length) return;
          probeSentAt = data.length;
          sock.write(PROBE);
        });
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
      finish();
    });
  });
}

/** Runs `fn` over `items`, `workers` at a time; item i gets lane `firstLane + i` (its own address). */
export async function inLanes<T, R>(
  items: readonly T[],
  workers: number,
  firstLane: number,
  fn: (item: T, lane: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, firstLane + i);
    }),
  );
  return out;
}

/** A gateway that forwards every path of every method to the recording upstream. */
export function corpusYaml(origin: string): string {
  return [
    'version: 1',
    'admin: { enabled: false }',
    'server:',
    '  timeouts: { drainMs: 1000 }',
    'upstreams:',
    `  rec: { targets: [ { url: "${origin}" } ] }`,
    'apis:',
    '  - name: corpus',
    '    type: http',
    '    stages: { $default: {} }',
    '    routes:',
    '      - route: $default',
    '        integration: { type: http_proxy, upstream: rec, timeoutMs: 5000 }',
    '',
  ].join('\n');
}
