import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, formatPath } from '../config/errors.js';
import { loadConfigText, compileConfig } from '../features.js';
import { createLogger } from '../logger.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { PoolRegistry } from '../forward/pools.js';
import { ModelSet } from './models.js';

function issues(yaml: string): string[] {
  const pools = new PoolRegistry();
  try {
    compileConfig(loadConfigText(yaml, '/tmp/v.yaml', {}), {
      runtime: createRuntimeDeps({ pools, log: createLogger('silent') }),
      revision: 1,
    });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  } finally {
    void pools.close();
  }
}

const api = (extra: string, validation: string) => `version: 1
apis:
  - name: a
    type: rest
    stages: { prod: {}, beta: {} }
${extra}
    routes:
      - route: POST /x
        integration: { type: mock }
        requestValidation: ${validation}
`;

test('config errors name the path: unknown model, invalid schema, unknown validator, both body forms', () => {
  assert.deepEqual(issues(api('', '{ bodyModel: Nope }')), [
    'apis[0].routes[0].requestValidation.bodyModel: unknown model "Nope"; models: none',
  ]);
  assert.deepEqual(issues(api('    models: { M: { type: objectx } }', '{ bodyModel: M }')), [
    'apis[0].models.M: invalid JSON Schema (draft-04): schema is invalid: data/type must be equal to one of the allowed values, data/type must be array, data/type must match a schema in anyOf',
  ]);
  assert.deepEqual(issues(api('    models: { M: { $ref: "#/models/Gone" } }', '{ bodyModel: M }')).length, 1);
  assert.deepEqual(issues(api('', '{ validator: v }')), [
    'apis[0].routes[0].requestValidation.validator: unknown request validator "v"; defined: none',
  ]);
  assert.deepEqual(issues(api('    requestValidator: z', '{}')), [
    'apis[0].requestValidator: unknown request validator "z"; defined: none',
  ]);
  assert.deepEqual(issues(api('    models: { M: {} }', '{ bodyModel: M, bodySchema: {} }')), [
    'apis[0].routes[0].requestValidation.bodyModel: give either bodyModel or bodySchema, not both',
  ]);
  assert.deepEqual(
    issues(api('    models: { M: { type: object } }', '{ bodyModel: M, requiredParameters: { header: [a] } }')),
    [],
  );
});

test('ModelSet: AWS, Swagger and OpenAPI model references; local definitions stay local', () => {
  const set = new ModelSet({
    A: { type: 'object', properties: { b: { $ref: '#/definitions/B' }, c: { $ref: '#/components/schemas/C' } } },
    B: { type: 'string' },
    C: { type: 'integer' },
    D: { type: 'object', properties: { x: { $ref: '#/definitions/B' } }, definitions: { B: { type: 'boolean' } } },
    E: { type: 'array', items: { $ref: 'https://apigateway.amazonaws.com/restapis/x1/models/C' } },
  });
  assert.equal(set.errors.size, 0);
  assert.equal(set.model('A')?.({ b: 's', c: 1 }), true);
  assert.equal(set.model('A')?.({ b: 1 }), false);
  assert.equal(set.model('D')?.({ x: true }), true, "D#/definitions/B is D's own boolean");
  assert.equal(set.model('E')?.([1, 2]), true);
  assert.equal(set.model('E')?.(['1']), false);
});
