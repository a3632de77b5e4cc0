// Issue #20, "Paths with //": the path checks accept empty segments only when asked (`paths: aws`),
// and every other rule holds in both modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeEmptySegments, pathProblem } from '../../src/server/request-checks.js';

test('empty segments: refused by default, accepted with allowEmptySegments', () => {
  assert.equal(pathProblem('/stage//x'), 'empty segment in path');
  assert.equal(pathProblem('/stage//x', { allowEmptySegments: true }), undefined);
  assert.equal(pathProblem('//admin', { allowEmptySegments: true }), undefined);
});

test('every other rule holds with allowEmptySegments', () => {
  const aws = { allowEmptySegments: true };
  for (const p of ['/a/%2F/b', '/a//../b', '/a/./b', '/a\\b', '/a;x', '/a%252e', '/admin.', '/a//%2e%2e/b']) {
    assert.notEqual(pathProblem(p, aws), undefined, p);
  }
});

test('mergeEmptySegments: the path the router matches', () => {
  assert.equal(mergeEmptySegments('/stage//x'), '/stage/x');
  assert.equal(mergeEmptySegments('//admin'), '/admin');
  assert.equal(mergeEmptySegments('/a///b/'), '/a/b/');
  assert.equal(mergeEmptySegments('/a/b'), '/a/b');
});
