// The composition root is the only place the feature list is wired: the root config schema, compile
// (policies by phase, API-stage hooks, integration types) and the services all derive from the list, so
// a feature is its folder plus one line in src/features.ts (docs/architecture.md#features-and-the-composition-root).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigTextWith } from '../../src/config/load.js';
import { buildConfigSchema } from '../../src/config/schema.js';
import type { Feature } from '../../src/feature.js';
import { FEATURES, featureServices } from '../../src/features.js';
import { PoolRegistry } from '../../src/forward/pools.js';
import { createLogger } from '../../src/logger.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { createRuntimeDeps } from '../../src/pipeline/policy.js';
import { compileFeatures } from '../../src/pipeline/registry.js';
import { compileSnapshot } from '../../src/pipeline/snapshot.js';

const CONFIG = `version: 1
apis:
  - name: shop
    type: http
    cors: { allowOrigins: ["https://a.example"] }
    stages: { $default: {} }
    routes:
      - route: GET /pets
        stamp: hello
        integration: { type: mock, statusCode: 200 }
`;

/** A feature written the way a built-in is: a route field in its config fragment and a policy in the transform phase. */
const stamp: Feature = {
  name: 'stamp',
  config: { route: { stamp: z.string().optional().describe('A value the stamp policy sends back.') } },
  policies: [
    {
      name: 'stamp',
      phase: 'transform',
      create(scope) {
        const value = (scope.route as { stamp?: string }).stamp;
        if (value === undefined) return undefined;
        return {
          name: 'stamp',
          phase: 'transform',
          access: (ctx: RequestContext) => void ctx.setResponseHeader('x-stamp', value),
        };
      },
    },
  ],
};

function compile(features: readonly Feature[], text = CONFIG) {
  const loaded = loadConfigTextWith(buildConfigSchema(features.map((f) => f.config)), text, 'portico.yaml', {});
  const runtime = createRuntimeDeps({ pools: new PoolRegistry(), log: createLogger('silent') });
  return compileSnapshot(loaded, { runtime, revision: 1, features: compileFeatures(features) });
}

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw err;
  }
  return [];
}

test('a feature added to the list brings its config field and its policy; without it the field is an unknown key', () => {
  assert.deepEqual(
    issues(() => compile(FEATURES)),
    ['apis.0.routes.0.stamp: unknown key "stamp"'],
  );
  const snapshot = compile([...FEATURES, stamp]);
  const route = snapshot.apis[0]!.routes[0]!;
  assert.equal((route.config as { stamp?: string }).stamp, 'hello');
  assert.deepEqual(
    route.pipelines[0]!.policies.map((p) => `${p.phase}:${p.name}`),
    ['transform:stamp'],
  );
  const schema = z.toJSONSchema(buildConfigSchema([...FEATURES, stamp].map((f) => f.config)), { io: 'input' }) as {
    $defs?: unknown;
  };
  assert.match(JSON.stringify(schema), /A value the stamp policy sends back/);
});

test('a built-in feature taken off the list takes its config key, hooks and services with it (CORS, throttle)', () => {
  const withStamp = [...FEATURES, stamp];
  const full = compile(withStamp);
  assert.deepEqual(full.apis[0]!.stages[0]!.responseHeaders.length, 1, 'the CORS response-header hook');
  const noCors = withStamp.filter((f) => f.name !== 'cors');
  assert.deepEqual(
    issues(() => compile(noCors)),
    ['apis.0.cors: unknown key "cors"'],
  );
  const without = compile(noCors, CONFIG.replace('    cors: { allowOrigins: ["https://a.example"] }\n', ''));
  assert.equal(without.apis[0]!.stages[0]!.responseHeaders.length, 0);
  assert.equal(
    without.apis[0]!.stages[0]!.preRoute.some((h) => h.name.startsWith('cors')),
    false,
  );
  assert.ok(featureServices().some((s) => s.name === 'limiter'));
  assert.equal(
    featureServices(FEATURES.filter((f) => f.name !== 'throttle')).some((s) => s.name === 'limiter'),
    false,
  );
});
