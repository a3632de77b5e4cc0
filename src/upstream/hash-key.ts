import type { RequestContext } from '../pipeline/context.js';
import type { UpstreamConfig } from './schema.js';

/** The consistent-hash key of a request (upstream hashOn), undefined for other balancers. */
export function hashKeyOf(
  ctx: RequestContext,
  rt: { readonly cfg: Pick<UpstreamConfig, 'hashOn' | 'balancer'> },
): string | undefined {
  const h = rt.cfg.hashOn;
  if (!h || rt.cfg.balancer !== 'consistent-hash') return undefined;
  switch (h.source) {
    case 'clientIp':
      return ctx.clientIp;
    case 'path':
      return ctx.restPath;
    case 'header': {
      const v = ctx.req.headers[(h.name as string).toLowerCase()];
      return Array.isArray(v) ? v.join(',') : v;
    }
    case 'cookie': {
      const cookie = ctx.req.headers.cookie;
      if (!cookie) return undefined;
      for (const part of cookie.split(';')) {
        const eq = part.indexOf('=');
        if (eq !== -1 && part.slice(0, eq).trim() === h.name) return part.slice(eq + 1).trim();
      }
      return undefined;
    }
  }
}
