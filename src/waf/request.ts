import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from '../pipeline/json-limits.js';
import { urlDecode } from './transforms.js';

/**
 * What the WAF sees of a request. Built from the RequestContext by the hook, or directly by tests,
 * the corpus measurement and the benchmark. Parsed parts (query arguments, cookies, JSON body) are
 * computed on first use and kept.
 */
export class WafRequest {
  readonly method: string;
  /** Path as received (still percent-encoded), without the query string. */
  readonly uriPath: string;
  /** Query string without "?", as received. */
  readonly queryString: string;
  readonly headers: IncomingHttpHeaders;
  /** Client IP after trusted proxies (ctx.clientIp). */
  readonly clientIp: string;
  /** The inspected body prefix (at most the ACL's limit), or undefined when the request has no body. */
  readonly body: Buffer | undefined;
  /** The body is larger than the inspected prefix. */
  readonly bodyOversize: boolean;
  /** Total body size when known (Content-Length, or all of it was read), else -1. */
  readonly bodySize: number;
  /** server.limits.maxJsonDepth: a body nested deeper is not JSON for the WAF (invalidFallbackBehavior applies). */
  readonly maxJsonDepth: number;
  #args: [string, string][] | undefined;
  #cookies: [string, string][] | undefined;
  #bodyText: string | undefined;
  #json: { ok: true; value: unknown } | { ok: false } | undefined;
  #bodyParameters: string[] | undefined;

  constructor(init: {
    method: string;
    uriPath: string;
    queryString?: string;
    headers?: IncomingHttpHeaders;
    clientIp?: string;
    body?: Buffer | undefined;
    bodyOversize?: boolean;
    bodySize?: number;
    maxJsonDepth?: number;
  }) {
    this.method = init.method;
    this.uriPath = init.uriPath;
    this.queryString = init.queryString ?? '';
    this.headers = init.headers ?? {};
    this.clientIp = init.clientIp ?? '';
    this.body = init.body;
    this.bodyOversize = init.bodyOversize ?? false;
    this.bodySize = init.bodySize ?? (init.body ? init.body.length : 0);
    this.maxJsonDepth = init.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  }

  /** Decoded query arguments, in order (names as sent, values URL-decoded once). */
  get queryArgs(): readonly [string, string][] {
    if (this.#args) return this.#args;
    this.#args = parsePairs(this.queryString, '&');
    return this.#args;
  }

  get cookies(): readonly [string, string][] {
    if (this.#cookies) return this.#cookies;
    const c = this.headers.cookie;
    this.#cookies = [];
    if (c) {
      for (const part of (Array.isArray(c) ? c.join(';') : c).split(';')) {
        const eq = part.indexOf('=');
        if (eq === -1) continue;
        this.#cookies.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
      }
    }
    return this.#cookies;
  }

  /** The inspected body as text (UTF-8, invalid bytes replaced). */
  get bodyText(): string {
    if (this.#bodyText === undefined) this.#bodyText = this.body ? this.body.toString('utf8') : '';
    return this.#bodyText;
  }

  /** The body parsed as JSON; not ok when it is not JSON, was cut by the limit, or nests deeper than maxJsonDepth. */
  get json(): { ok: true; value: unknown } | { ok: false } {
    if (this.#json) return this.#json;
    if (!this.body || this.bodyOversize || exceedsJsonDepth(this.body, this.maxJsonDepth)) this.#json = { ok: false };
    else {
      try {
        this.#json = { ok: true, value: JSON.parse(this.bodyText) as unknown };
      } catch {
        this.#json = { ok: false };
      }
    }
    return this.#json;
  }

  /** The body's parameters for the managed rules: JSON leaf values, form values, or the text itself. */
  get bodyParameters(): readonly string[] {
    this.#bodyParameters ??= this.#parseBodyParameters();
    return this.#bodyParameters;
  }

  #parseBodyParameters(): string[] {
    if (!this.body || this.body.length === 0) return [];
    const ct = String(this.headers['content-type'] ?? '').toLowerCase();
    if (ct.includes('json')) {
      const j = this.json;
      if (j.ok) {
        const out: string[] = [];
        collectJson(j.value, 'VALUE', out, 0);
        return out;
      }
    }
    if (ct.startsWith('application/x-www-form-urlencoded')) return parsePairs(this.bodyText, '&').map(([, v]) => v);
    return [this.bodyText];
  }
}

function parsePairs(s: string, sep: string): [string, string][] {
  const out: [string, string][] = [];
  if (!s) return out;
  for (const part of s.split(sep)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq === -1 ? part : part.slice(0, eq);
    const v = eq === -1 ? '' : part.slice(eq + 1);
    out.push([urlDecode(k), urlDecode(v)]);
  }
  return out;
}

/** Collects keys and/or leaf values of a JSON value (depth-limited). */
export function collectJson(v: unknown, scope: 'ALL' | 'KEY' | 'VALUE', out: string[], depth: number): void {
  if (depth > 64 || out.length > 4096) return;
  if (v === null || typeof v !== 'object') {
    if (scope !== 'KEY') out.push(v === null ? 'null' : String(v));
    return;
  }
  if (Array.isArray(v)) {
    for (const e of v) collectJson(e, scope, out, depth + 1);
    return;
  }
  for (const [k, e] of Object.entries(v)) {
    if (scope !== 'VALUE') out.push(k);
    collectJson(e, scope, out, depth + 1);
  }
}
