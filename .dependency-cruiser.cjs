/* global module */
/**
 * Import rules (docs/architecture.md#import-rules), checked by `npm run lint:deps`.
 * Layers: kernel → core → features → composition root (src/features.ts) → gateway / cli.
 * Core includes the platform every feature runs on: the store (embedded or Redis) and the cluster's
 * process model (store/, cluster/), which have manifests for their services, admin routes and CLI.
 */
const FEATURES =
  '(api-keys|throttle|cache|waf|authorizers|cors|ip-policy|validation|mapping|functions|upstream|observability|plugins|dashboard)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, runtime or type-level (tsPreCompilationDeps).',
      from: {},
      to: { circular: true },
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
      comment:
        'Entry points only: the gateway, the CLI, the package entry, the config-load thread and the cluster primary (process mains).',
      from: {
        pathNot: [
          '^src/gateway\\.ts$',
          '^src/cli/',
          '^src/index\\.ts$',
          '^src/config/load-thread\\.ts$',
          '^src/cluster/(start|primary)\\.ts$',
          '^scripts/gen-schema\\.ts$',
          '^test/',
        ],
      },
      to: { path: '^src/features\\.ts$' },
    },
    {
      name: 'features-import-only-manifests-of-other-features',
      severity: 'error',
      comment:
        'A feature reaches another only through its public surface: its manifest.ts, keys.ts (service keys), types.ts or schema.ts (its config contract), or a type-only import.',
      from: { path: `^src/${FEATURES}/` },
      to: {
        path: `^src/${FEATURES}/`,
        pathNot: [`^src/$1/`, '/manifest\\.ts$', '/types\\.ts$', '/keys\\.ts$', '/schema\\.ts$'],
        dependencyTypesNot: ['type-only'],
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
