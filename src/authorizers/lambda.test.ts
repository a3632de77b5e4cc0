import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arnPattern } from '../pipeline/arn.js';
import { evaluatePolicy, parseAuthorizerOutput } from './lambda.js';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/1';

test('ARN patterns: * spans anything, ? one character, the rest is literal', () => {
  const cases: [string, boolean][] = [
    ['*', true],
    [ARN, true],
    ['arn:aws:execute-api:*:*:api/*', true],
    ['arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/?', true],
    ['arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/??', false],
    ['arn:aws:execute-api:us-east-1:123456789012:api/prod/POST/*', false],
    ['arn:aws:execute-api:us-east-1:123456789012:api.prod/GET/pets/1', false],
  ];
  for (const [p, want] of cases) assert.equal(arnPattern(p).test(ARN), want, p);
});

test('policy evaluation: explicit Deny wins, Allow admits, no match is an implicit deny', () => {
  const out = (stmts: unknown[]) => {
    const r = parseAuthorizerOutput({ principalId: 'p', policyDocument: { Version: '2012-10-17', Statement: stmts } });
    assert.ok(typeof r !== 'string' && r.kind === 'policy');
    return evaluatePolicy(r.statements, ARN);
  };
  assert.equal(out([{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ARN }]), 'allow');
  assert.equal(
    out([
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: [ARN] },
    ]),
    'deny',
  );
  assert.equal(out([{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:other' }]), 'implicitDeny');
  assert.equal(out([{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }]), 'implicitDeny');
});

test('invalid outputs are named', () => {
  assert.equal(parseAuthorizerOutput(null), 'the result is not an object');
  assert.equal(parseAuthorizerOutput({ isAuthorized: 'yes' }), '"isAuthorized" is not a boolean');
  assert.match(String(parseAuthorizerOutput({ principalId: 'p' })), /policyDocument/);
  assert.match(
    String(parseAuthorizerOutput({ principalId: 'p', policyDocument: { Statement: [{ Effect: 'Maybe' }] } })),
    /Effect/,
  );
  assert.match(String(parseAuthorizerOutput({ isAuthorized: true, context: { a: [1] } })), /context value "a"/);
  const ok = parseAuthorizerOutput({
    principalId: 'p',
    policyDocument: { Statement: [] },
    context: { n: 1, b: false },
    usageIdentifierKey: 'k',
  });
  assert.ok(typeof ok !== 'string' && ok.kind === 'policy');
  assert.deepEqual(ok.context, { n: '1', b: 'false' });
  assert.equal(ok.usageIdentifierKey, 'k');
});
