import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMapping, mappedPathParams } from './compile.js';

test('compileMapping: what parses, with its target', () => {
  const cases: [string, string, string][] = [
    ['append:header.x-a', '$request.header.y', 'append header x-a'],
    ['overwrite:querystring.q', 'static', 'overwrite querystring q'],
    ['remove:header.x-b', '', 'remove header x-b'],
    ['overwrite:path', '/p/$request.path.id', 'overwrite path '],
    ['integration.request.header.x-c', "'v'", 'overwrite header x-c'],
    ['integration.request.querystring.q', 'method.request.multivaluequerystring.q', 'overwrite querystring q'],
    ['integration.request.path.id', 'method.request.path.petId', 'overwrite path id'],
  ];
  for (const [key, value, want] of cases) {
    const op = compileMapping(key, value);
    assert.notEqual(typeof op, 'string', `${key}: ${String(op)}`);
    if (typeof op !== 'string') assert.equal(`${op.op} ${op.target} ${op.name}`, want, key);
  }
});

test('compileMapping: what is refused, and why', () => {
  const cases: [string, string, RegExp][] = [
    ['append:header.connection', 'x', /reserved/],
    ['append:header.X-Amzn-Trace-Id', 'x', /reserved/],
    ['append:header.bad name', 'x', /not a valid header name/],
    ['overwrite:header.x', '${request.cookie.c}', /unknown source/],
    ['overwrite:header.x', '$stageVariables.bad-name', /^$/],
    ['remove:path', '', /only be overwritten/],
    ['integration.request.header.x', 'static', /unknown source "static"/],
    ['integration.response.header.x', "'a'", /unknown mapping/],
  ];
  for (const [key, value, want] of cases) {
    const op = compileMapping(key, value);
    if (want.source === '^$')
      assert.notEqual(typeof op, 'string', key); // "-name" is static text after the variable
    else assert.match(String(op), want, key);
  }
});

test('mappedPathParams lists REST path targets', () => {
  assert.deepEqual(
    mappedPathParams({
      'integration.request.path.a': "'x'",
      'integration.request.header.b': "'y'",
      'overwrite:path': '/z',
    }),
    ['a'],
  );
  assert.deepEqual(mappedPathParams(undefined), []);
});
