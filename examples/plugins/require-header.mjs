// A Portico plugin (docs/plugins.md): refuses requests without a header, or with a value not in an
// allow list, and tells the client which value it was let in with. What a Kong user writes as a
// handler.lua + schema.lua pair: here one ES module exporting `manifest`.
//
//   plugins:
//     - path: ./require-header.mjs
//       config: { header: x-tenant, allow: [acme, globex], echoAs: x-tenant-seen }
import { z } from 'zod';

const headerName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case header name such as x-tenant');

/** Validated at load; each error is reported at plugins[i].config.<key> with line:column. */
const configSchema = z.strictObject({
  header: headerName,
  /** Values let in; without it any non-empty value is. */
  allow: z.array(z.string().min(1)).min(1).optional(),
  /** Response header that repeats the value the request was admitted with. */
  echoAs: headerName.optional(),
  /** Where in the lifecycle to check: before API keys by default, after JWT/function authorizers. */
  phase: z.enum(['resourcePolicy', 'authorizer', 'apiKey']).default('authorizer'),
});

export const manifest = {
  name: 'require-header',
  configSchema,
  metrics: [
    { name: 'rejected', help: 'Requests refused by require-header (header missing or not allowed).', type: 'counter' },
    { name: 'admitted', help: 'Requests require-header let through.', type: 'counter' },
  ],
  /** Called once per config load with the validated config; `gateway` is the plugin API. */
  policies(config, gateway) {
    const allow = config.allow ? new Set(config.allow) : undefined;
    return [
      {
        name: 'check',
        phase: config.phase,
        access(ctx) {
          const value = ctx.header(config.header);
          if (!value) {
            gateway.count('rejected');
            // A catalogue response: customisable per API under gatewayResponses.UNAUTHORIZED.
            return {
              error: gateway.errors.UNAUTHORIZED,
              headers: { 'www-authenticate': `Header realm="${config.header}"` },
            };
          }
          if (allow && !allow.has(value)) {
            gateway.count('rejected');
            return { error: gateway.errors.AUTHORIZER_FORBIDDEN };
          }
          gateway.count('admitted');
          // Later phases (another plugin) can read it; keys are namespaced by plugin.
          ctx.shared.set('require-header.value', value);
          if (config.echoAs) ctx.setResponseHeader(config.echoAs, value);
          return undefined;
        },
      },
    ];
  },
};
