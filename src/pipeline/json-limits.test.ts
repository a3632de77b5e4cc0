import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exceedsJsonDepth } from './json-limits.js';

const deep = (open: string, close: string, n: number) => Buffer.from(open.repeat(n) + close.repeat(n));
const too = (text: string, max: number) => exceedsJsonDepth(Buffer.from(text), max);

describe('exceedsJsonDepth: the nesting pre-scan before every parse of a body', () => {
  test('exact bound passes, bound + 1 is too deep (arrays, objects, mixed)', () => {
    assert.equal(exceedsJsonDepth(deep('[', ']', 64), 64), false);
    assert.equal(exceedsJsonDepth(deep('[', ']', 65), 64), true);
    const obj = (n: number) => '{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);
    assert.equal(too(obj(64), 64), false);
    assert.equal(too(obj(65), 64), true);
    assert.equal(too('{"a":[{"b":[1]}]}', 4), false);
    assert.equal(too('{"a":[{"b":[1]}]}', 3), true);
  });

  test('depth is nesting, not count: siblings do not add up', () => {
    assert.equal(too('[' + '[],'.repeat(1000) + '[]]', 2), false);
    assert.equal(too('{"a":{},"b":{},"c":[[]]}', 2), true);
    assert.equal(too('{"a":{},"b":{},"c":[[]]}', 3), false);
  });

  test('brackets inside strings do not count', () => {
    assert.equal(too('["[[[[[[[[[[", "{{{{{{{{"]', 1), false);
    assert.equal(too('{"[[[[": "]]]]]]]]", "x": []}', 2), false);
    assert.equal(too('{"[[[[": "]]]]]]]]", "x": [[]]}', 2), true);
  });

  test('escaped quotes stay inside the string', () => {
    assert.equal(too('["a\\"[[[[[[\\"b"]', 1), false);
    assert.equal(too('["\\"", [[]]]', 2), true);
    assert.equal(too('["\\"", [[]]]', 3), false);
  });

  test('an escaped backslash before a quote ends the string (\\\\")', () => {
    // ["a\\", [[ ]]]: the string is `a\`, then two more levels follow.
    assert.equal(too('["a\\\\", [[]]]', 2), true);
    assert.equal(too('["a\\\\", [[]]]', 3), false);
    // "\\\"[[" is one string: `\"[[`
    assert.equal(too('["\\\\\\"[[[["]', 1), false);
  });

  test('a 9 MB [[[… is refused within the first bytes past the bound; stray closers do not go negative', () => {
    const bomb = Buffer.alloc(9 * 1024 * 1024, '[');
    assert.equal(exceedsJsonDepth(bomb, 64), true);
    assert.equal(too(']]]]]]' + '['.repeat(3) + ']]]', 3), false);
    assert.equal(too(']]]]]]' + '['.repeat(4) + ']]]]', 3), true);
    assert.equal(exceedsJsonDepth(Buffer.alloc(0), 1), false);
    assert.equal(too('"unclosed [[[[[', 1), false);
  });
});
