/**
 * Runs a corpus through a front (Portico, nginx, HAProxy) with a recording upstream behind it, and
 * judges each payload. Used by the corpus test (Portico's invariants) and the differential test.
 */
import type { Payload } from './corpus.js';
import { exchange, type Exchange, inLanes, type RecordingUpstream, type Seen } from './harness.js';

export type VerdictClass = 'reject' | 'forward' | 'no-answer';

export interface Outcome extends Exchange {
  payload: Payload;
  /** Complete requests the upstream received for this payload (the probe excluded). */
  forwarded: Seen[];
  /** Requests the upstream started to receive but that were aborted. */
  partial: number;
  verdict: VerdictClass;
}

const WORKERS = 16;
/** Lanes 1–99 are left to hand-written tests; each corpus run takes fresh ones. */
let nextLane = 100;

/** Sends every payload to `port`, each from its own address, and collects what `upstream` saw for it. */
export async function runCorpus(
  payloads: readonly Payload[],
  port: number,
  upstream: RecordingUpstream,
  limitMs = 1500,
): Promise<Outcome[]> {
  const first = nextLane;
  nextLane += payloads.length;
  const count = (lane: number) => upstream.seen.filter((s) => s.lane === lane && s.url !== '/__end').length;
  const exchanges = await inLanes(payloads, WORKERS, first, (payload, lane) =>
    exchange(port, payload.bytes, lane, limitMs, () => count(lane)),
  );
  // Let the upstream finish recording what reached it (bounded).
  for (let i = 0; i < 200 && upstream.seen.some((s) => !s.done); i++) await new Promise((r) => setTimeout(r, 10));
  return exchanges.map((ex, i) => {
    const all = upstream.seen.filter((s) => s.lane === first + i);
    const forwarded = all.filter((s) => s.complete && s.url !== '/__end');
    return {
      ...ex,
      payload: payloads[i] as Payload,
      forwarded,
      partial: all.filter((s) => !s.complete).length,
      verdict: classify(ex, forwarded),
    };
  });
}

export function classify(ex: Exchange, forwarded: readonly Seen[]): VerdictClass {
  if (forwarded.length > 0) return 'forward';
  if (ex.statuses.length > 0) return 'reject';
  return 'no-answer';
}

/** Header values by lower-case name. */
export function values(seen: Seen, name: string): string[] {
  return seen.headers.filter(([n]) => n === name).map(([, v]) => v);
}

/**
 * Portico's promises for one outcome; returns the broken ones (empty = fine):
 * - nothing smuggled (/smuggled, /evil, Host evil.example) reaches the upstream;
 * - a 4xx is the last answer on the connection, says Connection: close, and the connection closes;
 * - every forwarded request has exactly one framing header, consistent with the body it carried;
 * - each forwarded request got its own answer, and a clean probe afterwards gets its own clean answer.
 */
export function brokenPromises(o: Outcome, reference?: Outcome): string[] {
  const out: string[] = [];
  for (const s of o.forwarded) {
    // A marked request is smuggled unless the reference parser read it as a request of its own too
    // (a mutation can turn the payload into plain, unambiguous pipelining).
    const own = reference?.forwarded.some((r) => r.method === s.method && r.url === s.url) ?? false;
    if (!own && (/\/smuggled|\/evil/.test(s.url) || /evil/.test(s.host ?? '')))
      out.push(`smuggled request reached the upstream: ${s.method} ${s.url} host=${s.host}`);
    const cl = values(s, 'content-length');
    const te = values(s, 'transfer-encoding');
    if (cl.length > 1 || te.length > 1 || (cl.length && te.length))
      out.push(`ambiguous framing upstream: cl=${cl.join('|')} te=${te.join('|')}`);
    if (te.length && te[0] !== 'chunked') out.push(`upstream got Transfer-Encoding "${te[0]}"`);
    if (cl.length && Number(cl[0]) !== s.body.length)
      out.push(`upstream Content-Length ${cl[0]} but body ${s.body.length}`);
    if (cl.length && !/^(0|[1-9][0-9]*)$/.test(cl[0] as string))
      out.push(`non-canonical Content-Length "${cl[0]}" forwarded`);
  }
  const firstReject = o.statuses.findIndex((st) => st >= 400 && st < 500);
  if (firstReject !== -1) {
    if (firstReject !== o.statuses.length - 1)
      out.push(`answered after a ${o.statuses[firstReject]}: ${o.statuses.join(',')}`);
    if (!o.saidClose) out.push('4xx without Connection: close');
    if (!o.closed) out.push('connection left open after a 4xx');
  }
  const ok = o.statuses.filter((st) => st < 400).length;
  if (o.forwarded.length !== ok)
    out.push(`${o.forwarded.length} requests forwarded for ${ok} successful answers (${o.statuses.join(',')})`);
  // A broken probe alone is no failure: bytes the client sent after its framed requests (garbage, or a
  // half request) rightly spoil the next one. A desync shows as a smuggled or uncounted request above.
  return out;
}

/** Compact one-line description of an outcome, for tables. */
export function describe(o: Outcome): string {
  const st = o.statuses.join(',') || (o.waiting ? 'waiting' : '-');
  return `${o.verdict} ${st}${o.forwarded.length ? ` → ${o.forwarded.map((s) => `${s.method} ${s.url} body=${s.body.length}`).join(' | ')}` : ''}`;
}
