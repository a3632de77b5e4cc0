import { request } from 'undici';
import type { RequestContext, RuntimeDeps } from '../pipeline/context.js';
import type { IdentitySource } from './identity-source.js';
import type { HttpAuthorizerConfig } from './schema.js';
import { authorizerService } from './service.js';

const MAX_BODY_BYTES = 64 * 1024;

export class HttpAuthorizerError extends Error {}

export interface HttpAuthorizerResult {
  readonly kind: 'http';
  readonly status: number;
  readonly principalId?: string;
  readonly context: Readonly<Record<string, string>>;
  readonly usageIdentifierKey?: string;
  readonly headers: readonly (readonly [string, string])[];
}

export type HttpAuthorizerCall = (ctx: RequestContext, values: readonly string[]) => Promise<HttpAuthorizerResult>;

/**
 * Calls the authorizer URL with the identity sources (headers as headers, query parameters as query parameters),
 * the chosen client headers, and X-Forwarded-Method/-Uri/-For (as Traefik's forwardAuth and nginx auth_request do).
 */
export function createHttpAuthorizerCall(
  cfg: HttpAuthorizerConfig,
  sources: readonly IdentitySource[],
  deps: RuntimeDeps,
): HttpAuthorizerCall {
  const forward = [...new Set(cfg.forwardHeaders.map((h) => h.toLowerCase()))];
  const keep = new Set(cfg.forwardResponseHeaders.map((h) => h.toLowerCase()));
  return async (ctx, values) => {
    const url = new URL(cfg.url);
    const headers: Record<string, string> = {
      'x-forwarded-method': ctx.method,
      'x-forwarded-uri': ctx.rawQuery ? `${ctx.rawPath}?${ctx.rawQuery}` : ctx.rawPath,
      'x-forwarded-for': ctx.clientIp,
      'x-request-id': ctx.requestId,
    };
    for (const name of forward) {
      const v = ctx.req.headers[name];
      if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
    }
    sources.forEach((s, i) => {
      if (s.kind === 'header') headers[s.name] = values[i] as string;
      else url.searchParams.set(s.name, values[i] as string);
    });
    let res;
    try {
      res = await request(url, {
        method: cfg.method,
        headers,
        dispatcher: authorizerService(deps).agent,
        headersTimeout: cfg.timeoutMs,
        bodyTimeout: cfg.timeoutMs,
        signal: AbortSignal.timeout(cfg.timeoutMs),
      });
    } catch (err) {
      throw new HttpAuthorizerError(`${url.origin}: ${(err as Error).message}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        res.body.destroy();
        throw new HttpAuthorizerError(`answer larger than ${MAX_BODY_BYTES} bytes`);
      }
      chunks.push(c);
    }
    const out: { -readonly [K in keyof HttpAuthorizerResult]: HttpAuthorizerResult[K] } = {
      kind: 'http',
      status: res.statusCode,
      context: {},
      headers: [],
    };
    if (res.statusCode < 200 || res.statusCode >= 300) return out;
    const hs: [string, string][] = [];
    for (const name of keep) {
      const v = res.headers[name];
      if (v !== undefined) hs.push([name, Array.isArray(v) ? v.join(', ') : v]);
    }
    out.headers = hs;
    const type = String(res.headers['content-type'] ?? '');
    if (size > 0 && /^application\/([a-z.+-]*\+)?json/i.test(type)) {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new HttpAuthorizerError('answer is not valid JSON');
      }
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        const b = body as Record<string, unknown>;
        if (typeof b.principalId === 'string') out.principalId = b.principalId;
        if (typeof b.usageIdentifierKey === 'string') out.usageIdentifierKey = b.usageIdentifierKey;
        if (b.context && typeof b.context === 'object' && !Array.isArray(b.context)) {
          const c: Record<string, string> = {};
          for (const [k, v] of Object.entries(b.context))
            if (['string', 'number', 'boolean'].includes(typeof v)) c[k] = String(v);
          out.context = c;
        }
      }
    }
    return out;
  };
}
