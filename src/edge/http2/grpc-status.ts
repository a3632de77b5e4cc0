import type { OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';

/**
 * Gateway responses to gRPC requests (docs/edge.md#grpc). A gRPC client reads only grpc-status, so
 * a response to a gRPC request that is not itself gRPC (a gateway refusal: 403 missing key, 429
 * throttled, 404 no route, 502/503/504 upstream failure; or a plain-HTTP answer of an upstream) is
 * sent as a trailers-only response (one HEADERS frame with END_STREAM): HTTP 200,
 * `content-type: application/grpc`, `grpc-status` and `grpc-message` (the gateway response's
 * `message`, percent-encoded as the gRPC spec says).
 *
 * The codes follow gRPC's doc/http-grpc-status-mapping.md (400 → INTERNAL, 401 → UNAUTHENTICATED,
 * 403 → PERMISSION_DENIED, 404 → UNIMPLEMENTED, 429/502/503/504 → UNAVAILABLE, others UNKNOWN),
 * except where the gateway itself knows the cause better than a client reading a bare HTTP status:
 * its own limits (429 throttle/quota, 413 body too large) are RESOURCE_EXHAUSTED, its upstream
 * timeout (504) is DEADLINE_EXCEEDED (doc/statuscodes.md).
 */
export const GRPC = {
  OK: 0,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const BY_HTTP: Record<number, number> = {
  400: GRPC.INTERNAL,
  401: GRPC.UNAUTHENTICATED,
  403: GRPC.PERMISSION_DENIED,
  404: GRPC.UNIMPLEMENTED,
  413: GRPC.RESOURCE_EXHAUSTED,
  429: GRPC.RESOURCE_EXHAUSTED,
  431: GRPC.INTERNAL,
  502: GRPC.UNAVAILABLE,
  503: GRPC.UNAVAILABLE,
  504: GRPC.DEADLINE_EXCEEDED,
};

export function grpcStatusFor(httpStatus: number): number {
  return BY_HTTP[httpStatus] ?? GRPC.UNKNOWN;
}

/** `application/grpc`, `application/grpc+proto`, `application/grpc;…` (not grpc-web). */
export function isGrpc(contentType: string | string[] | undefined): boolean {
  const ct = Array.isArray(contentType) ? contentType[0] : contentType;
  if (!ct || !ct.toLowerCase().startsWith('application/grpc')) return false;
  const next = ct.charCodeAt(16);
  return Number.isNaN(next) || next === 43 /* + */ || next === 59; /* ; */
}

/** grpc-message: percent-encoded outside printable ASCII and '%' (gRPC PROTOCOL-HTTP2.md). */
export function encodeGrpcMessage(msg: string): string {
  return Array.from(Buffer.from(msg, 'utf8'))
    .map((b) =>
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

function messageOf(body: string, status: number): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string' && m) return m;
  } catch {
    // not a JSON gateway response
  }
  return body.trim().slice(0, 200) || `HTTP status ${status}`;
}

function headerValue(headers: OutgoingHttpHeaders | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return String(headers[k]);
  return undefined;
}

/**
 * Wraps a gRPC request's response: a non-gRPC head (status other than 200, or a content type that
 * is not application/grpc) becomes a trailers-only gRPC response when the body ends; its body is
 * only read for the message.
 */
export function grpcGatewayResponse(res: Http2ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (s: number, h?: OutgoingHttpHeaders) => Http2ServerResponse;
  const write = res.write.bind(res) as (c: Buffer | string) => boolean;
  const end = res.end.bind(res) as (c?: Buffer | string) => Http2ServerResponse;
  let converting: { status: number; body: string; extra: OutgoingHttpHeaders } | undefined;
  let ended = false;
  Object.assign(res, {
    writeHead(status: number, headers?: OutgoingHttpHeaders) {
      const ct = headerValue(headers, 'content-type') ?? String(res.getHeader('content-type') ?? '');
      if (status === 200 && isGrpc(ct)) return writeHead(status, headers);
      const extra: OutgoingHttpHeaders = {};
      for (const name of ['x-amzn-requestid', 'x-request-id', 'retry-after', 'www-authenticate']) {
        const v = headerValue(headers, name);
        if (v !== undefined) extra[name] = v;
      }
      converting = { status, body: '', extra };
      return res;
    },
    write(chunk: Buffer | string) {
      if (!converting) return write(chunk);
      if (converting.body.length < 4096) converting.body += String(chunk);
      return true;
    },
    end(chunk?: Buffer | string) {
      if (!converting) {
        if (!res.headersSent) res.writeHead(res.statusCode);
        if (!converting) return end(chunk);
      }
      if (ended) return res;
      ended = true;
      const c = converting!;
      if (chunk !== undefined) c.body += String(chunk);
      const stream = res.stream;
      if (stream.destroyed || stream.headersSent) return res;
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(grpcStatusFor(c.status)),
          'grpc-message': encodeGrpcMessage(messageOf(c.body, c.status)),
          ...c.extra,
        },
        { endStream: true },
      );
      return res;
    },
  });
  Object.defineProperty(res, 'headersSent', {
    get: () => res.stream.headersSent || converting !== undefined,
    configurable: true,
  });
  Object.defineProperty(res, 'writableEnded', { get: () => ended || res.stream.writableEnded, configurable: true });
}
