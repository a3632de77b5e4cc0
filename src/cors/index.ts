import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestContext, PreRouteHook, ResponseHeaderHook } from '../pipeline/context.js';
import type { ApiHookFactory } from '../pipeline/policy.js';
import type { CorsConfig } from './schema.js';

/** Compiled `cors`: which origins match, and the fixed header values. */
export class CorsRules {
  readonly #anyOrigin: boolean;
  readonly #exact: ReadonlySet<string>;
  readonly #patterns: readonly RegExp[];
  readonly credentials: boolean;
  readonly #methods: string;
  readonly #anyMethod: boolean;
  readonly #headers: string;
  readonly #anyHeader: boolean;
  readonly expose: string;
  readonly maxAge: string | undefined;

  constructor(cfg: CorsConfig) {
    this.#anyOrigin = cfg.allowOrigins.includes('*');
    this.#exact = new Set(cfg.allowOrigins.filter((o) => !o.includes('*')).map((o) => o.toLowerCase()));
    this.#patterns = cfg.allowOrigins
      .filter((o) => o !== '*' && o.includes('*'))
      .map((o) => {
        // "https://*" = any origin of that scheme; "https://*.example.com" = any subdomain.
        const [scheme, host] = o.toLowerCase().split('://') as [string, string];
        if (host === '*') return new RegExp(`^${scheme}://[^/]+$`);
        return new RegExp(`^${scheme}://[a-z0-9-]+(\\.[a-z0-9-]+)*${host.slice(1).replace(/[.]/g, '\\.')}$`);
      });
    this.credentials = cfg.allowCredentials;
    this.#anyMethod = cfg.allowMethods.includes('*');
    this.#methods = cfg.allowMethods.map((m) => (m === '*' ? m : m.toUpperCase())).join(',');
    this.#anyHeader = cfg.allowHeaders.includes('*');
    this.#headers = cfg.allowHeaders.map((h) => h.toLowerCase()).join(',');
    this.expose = cfg.exposeHeaders.map((h) => h.toLowerCase()).join(',');
    this.maxAge = cfg.maxAge === undefined ? undefined : String(cfg.maxAge);
  }

  /** The Access-Control-Allow-Origin value for this Origin, or undefined if it is not allowed. */
  allowOrigin(origin: string): string | undefined {
    if (this.#anyOrigin) return this.credentials ? origin : '*';
    const o = origin.toLowerCase();
    if (this.#exact.has(o) || this.#patterns.some((p) => p.test(o))) return origin;
    return undefined;
  }

  /** Preflight: "*" answers "*", or echoes the request when credentials make "*" literal for browsers. */
  allowMethods(requested: string): string {
    return this.#anyMethod ? (this.credentials ? requested : '*') : this.#methods;
  }
  allowHeaders(requested: string | undefined): string {
    if (this.#anyHeader) return this.credentials ? (requested ?? '') : '*';
    return this.#headers;
  }
}

/** Removes every Access-Control-* header (the backend's), as AWS ignores them when the API has CORS. */
function stripCors(headers: OutgoingHttpHeaders): void {
  for (const name of Object.keys(headers))
    if (name.length > 15 && name.toLowerCase().startsWith('access-control-')) delete headers[name];
}

function addVaryOrigin(headers: OutgoingHttpHeaders): void {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'vary');
  const current = key === undefined ? undefined : headers[key];
  const text = Array.isArray(current) ? current.join(', ') : current === undefined ? '' : String(current);
  if (key !== undefined) delete headers[key];
  if (/(^|,)\s*(origin|\*)\s*(,|$)/i.test(text)) headers.vary = text;
  else headers.vary = text ? `${text}, Origin` : 'Origin';
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * `cors` on an API: the gateway answers preflights itself before routing (204, no OPTIONS route needed), and its
 * headers replace the backend's on every response of the API, gateway errors included (AWS HTTP API behaviour).
 * An Origin that is not allowed gets no Access-Control-* headers at all, so the browser blocks the call.
 */
export const corsHookFactory: ApiHookFactory = {
  name: 'cors',
  create(scope) {
    const cfg = scope.api.cors;
    if (!cfg) return undefined;
    if (cfg.allowCredentials && cfg.allowOrigins.includes('*') && Object.keys(scope.api.stages)[0] === scope.stageName)
      scope.issue(
        scope.at('cors', 'allowOrigins'),
        'allowCredentials cannot be combined with "*" in allowOrigins (the Fetch standard forbids it); list the origins',
      );
    const rules = new CorsRules(cfg);

    const responseHeaders: ResponseHeaderHook = (ctx, headers) => {
      stripCors(headers);
      const origin = header(ctx, 'origin');
      if (origin === undefined) return;
      const allow = rules.allowOrigin(origin);
      if (allow === undefined) return;
      headers['access-control-allow-origin'] = allow;
      if (allow !== '*') addVaryOrigin(headers);
      if (rules.credentials) headers['access-control-allow-credentials'] = 'true';
      if (rules.expose) headers['access-control-expose-headers'] = rules.expose;
    };

    const preRoute: PreRouteHook = {
      name: 'cors-preflight',
      onRequest(ctx) {
        if (ctx.method !== 'OPTIONS') return false;
        const requested = header(ctx, 'access-control-request-method');
        if (requested === undefined || header(ctx, 'origin') === undefined) return false;
        const h: OutgoingHttpHeaders = ctx.finalizeHeaders({});
        if (h['access-control-allow-origin'] !== undefined) {
          const methods = rules.allowMethods(requested);
          if (methods) h['access-control-allow-methods'] = methods;
          const allowHeaders = rules.allowHeaders(header(ctx, 'access-control-request-headers'));
          if (allowHeaders) h['access-control-allow-headers'] = allowHeaders;
          if (rules.maxAge !== undefined) h['access-control-max-age'] = rules.maxAge;
        }
        ctx.status = 204;
        ctx.res.writeHead(204, h);
        ctx.res.end();
        return true;
      },
    };
    return { preRoute, responseHeaders };
  },
};
