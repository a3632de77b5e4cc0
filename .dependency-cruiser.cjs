/* global module */
/**
 * Import rules (docs/architecture.md#import-rules), checked by `npm run lint:deps`.
 * Layers: kernel → core → features → composition root (src/features.ts) → gateway / cli.
 */
const FEATURES = '(api-keys|keys|usage-plans|throttle|limiter|cache|waf|authorizers|policies|cors|ip-policy|validation|mapping|functions|integrations/function|upstream|observability|cluster|plugins)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      // TEMPORARY 'warn' (issue 17 is half done on branch arch): 154 cycle paths remain, all through
      // config/schema.ts ↔ feature schemas/types, pipeline/snapshot+registry ↔ policies, and the proxy1 /
      // importers areas. Back to 'error' once the root schema is assembled in src/features.ts and the
      // pipeline takes the feature list.
      severity: 'warn',
      comment: 'No import cycles, runtime or type-level (tsPreCompilationDeps).',
      from: {},
      to: {
        circular: true,
      },
    },
    {
      name: 'kernel-imports-no-feature',
      severity: 'error',
      comment: 'src/kernel holds contracts only: it imports nothing of the gateway.',
      from: { path: '^src/kernel/' },
      to: { path: '^src/', pathNot: '^src/kernel/' },
    },
    {
      name: 'only-gateway-and-cli-import-the-composition-root',
      severity: 'error',
      from: { pathNot: ['^src/gateway\\.ts$', '^src/cli/', '^scripts/gen-schema\\.ts$', '^test/'] },
      to: { path: '^src/features\\.ts$' },
    },
    {
      name: 'features-import-only-manifests-of-other-features',
      // TEMPORARY 'warn': the features are not yet moved into one folder each (keys/ + usage-plans/ +
      // policies/api-key ... are one feature), so most of these are one feature across its old folders.
      severity: 'warn',
      comment: 'A feature reaches another only through its manifest.ts or an exported types/keys file.',
      from: { path: `^src/${FEATURES}/` },
      to: {
        path: `^src/${FEATURES}/`,
        pathNot: [`^src/$1/`, '/manifest\\.ts$', '/types\\.ts$', '/keys\\.ts$'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
