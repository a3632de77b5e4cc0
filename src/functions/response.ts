/**
 * A function's result turned into an HTTP response, validated as AWS does (reference §1.9; LocalStack's
 * recorded `test_aws_proxy_response_payload_format_validation`). A string result is what is wrong (→ 502 on
 * REST APIs, 500 on HTTP APIs).
 */
import type { BinaryMediaTypes } from './binary.js';

export interface FunctionResponse {
  status: number;
  /** Lower-case names; several values are separate header lines only for set-cookie. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

const V1_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function statusOf(v: unknown): number | string {
  if (v === undefined || v === null) return 200;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 100 || n > 599) return `statusCode ${JSON.stringify(v)} is not an HTTP status`;
  return n;
}

function headerValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function bodyOf(body: unknown, isBase64: unknown, decode: boolean): Buffer | string {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') return `body is a ${Array.isArray(body) ? 'array' : typeof body}, not a string`;
  if (isBase64 === true && decode) return Buffer.from(body, 'base64');
  return Buffer.from(body, 'utf8');
}

/** Adds a header, joining repeats with ", " except set-cookie, which stays one line per cookie. */
function addHeader(headers: FunctionResponse['headers'], name: string, value: string): void {
  const lower = name.toLowerCase();
  const had = headers[lower];
  if (had === undefined) headers[lower] = lower === 'set-cookie' ? [value] : value;
  else if (Array.isArray(had)) had.push(value);
  else headers[lower] = `${had}, ${value}`;
}

/** Payload 1.0: only the five known keys, string/bool header values, an integer status. */
export function parseResponseV1(
  result: unknown,
  binary: BinaryMediaTypes,
  accept: string | undefined,
  apiType: 'rest' | 'http',
): FunctionResponse | string {
  if (!isObject(result))
    return `the result is ${result === undefined ? 'empty' : Array.isArray(result) ? 'an array' : typeof result === 'object' ? 'null' : `a ${typeof result}`}, not an object`;
  for (const k of Object.keys(result)) if (!V1_KEYS.has(k)) return `unexpected key "${k}"`;
  const status = statusOf(result.statusCode);
  if (typeof status === 'string') return status;
  const headers: FunctionResponse['headers'] = { 'content-type': 'application/json' };
  const single = result.headers;
  const multi = result.multiValueHeaders;
  if (single !== undefined && single !== null && !isObject(single)) return '"headers" is not an object';
  if (multi !== undefined && multi !== null && !isObject(multi)) return '"multiValueHeaders" is not an object';
  const fromMulti = new Set<string>();
  if (multi) {
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values)) return `multiValueHeaders.${name} is not a list`;
      for (const v of values) {
        const s = headerValue(v);
        if (s === undefined) return `multiValueHeaders.${name} has a value that is not a string`;
        if (!fromMulti.has(name.toLowerCase())) {
          delete headers[name.toLowerCase()];
          fromMulti.add(name.toLowerCase());
        }
        addHeader(headers, name, s);
      }
    }
  }
  if (single) {
    for (const [name, v] of Object.entries(single)) {
      if (typeof v !== 'string' && typeof v !== 'boolean') return `headers.${name} is not a string`;
      // The same header in both (in any case): AWS sends the multiValueHeaders values, then this one, joined
      // with ", " (recorded: test_aws_proxy_response_payload_format_validation, invoke-api-multi-headers-overwrite).
      if (fromMulti.has(name.toLowerCase())) {
        addHeader(headers, name, headerValue(v) as string);
        continue;
      }
      headers[name.toLowerCase()] =
        name.toLowerCase() === 'set-cookie' ? [headerValue(v) as string] : (headerValue(v) as string);
    }
  }
  if (
    result.isBase64Encoded !== undefined &&
    result.isBase64Encoded !== null &&
    typeof result.isBase64Encoded !== 'boolean'
  ) {
    return '"isBase64Encoded" is not a boolean';
  }
  // REST APIs decode only when the client accepts a binary media type; HTTP APIs always do.
  const decode = apiType === 'http' || binary.matchesAccept(accept);
  const body = bodyOf(result.body, result.isBase64Encoded, decode);
  if (typeof body === 'string') return body;
  return { status, headers, body };
}

/**
 * Payload 2.0: an object with statusCode is a response (headers, body, isBase64Encoded, cookies); anything
 * else is a 200 application/json whose body is the result (a string as is, else its JSON).
 */
export function parseResponseV2(result: unknown): FunctionResponse | string {
  if (!isObject(result) || result.statusCode === undefined) {
    const text = typeof result === 'string' ? result : (JSON.stringify(result) ?? 'null');
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text, 'utf8') };
  }
  const status = statusOf(result.statusCode);
  if (typeof status === 'string') return status;
  const headers: FunctionResponse['headers'] = {};
  if (result.headers !== undefined && result.headers !== null) {
    if (!isObject(result.headers)) return '"headers" is not an object';
    for (const [name, v] of Object.entries(result.headers)) {
      const s = headerValue(v);
      if (s === undefined) return `headers.${name} is not a string`;
      addHeader(headers, name, s);
    }
  }
  if (result.cookies !== undefined && result.cookies !== null) {
    if (!Array.isArray(result.cookies) || result.cookies.some((c) => typeof c !== 'string'))
      return '"cookies" is not a list of strings';
    for (const c of result.cookies as string[]) addHeader(headers, 'set-cookie', c);
  }
  if (
    result.isBase64Encoded !== undefined &&
    result.isBase64Encoded !== null &&
    typeof result.isBase64Encoded !== 'boolean'
  ) {
    return '"isBase64Encoded" is not a boolean';
  }
  const body = bodyOf(result.body, result.isBase64Encoded, true);
  if (typeof body === 'string') return body;
  return { status, headers, body };
}
