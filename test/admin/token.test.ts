import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newToken } from '../../src/admin/token.js';

test('a generated admin token never starts with "-", so `--token <value>` always parses', () => {
  // 0xf8 encodes to "-" first in base64url: the first draw is refused, the second kept.
  const draws = [Buffer.alloc(32, 0xf8), Buffer.alloc(32, 0x41)];
  const token = newToken(() => draws.shift() as Buffer);
  assert.equal(draws.length, 0, 'a token starting with "-" was drawn again');
  assert.ok(!token.startsWith('-'));
  assert.equal(token.length, 43);
});
