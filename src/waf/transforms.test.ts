import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTransforms, TRANSFORMS, type TextTransformationType } from './transforms.js';

const cases: [TextTransformationType, string, string][] = [
  ['NONE', 'A%20b', 'A%20b'],
  ['URL_DECODE', 'a%27%20or%201=1+--', "a' or 1=1 --"],
  ['URL_DECODE', 'bad%zz%41', 'bad%zzA'],
  ['URL_DECODE_UNI', '%u003cscript', '<script'],
  ['LOWERCASE', 'SeLeCt', 'select'],
  ['UPPERCASE', 'select', 'SELECT'],
  [
    'HTML_ENTITY_DECODE',
    '&lt;img src=x onerror=&#97;&#x6c;ert(1)&gt; &quot;&amp;&unknown;',
    '<img src=x onerror=alert(1)> "&&unknown;',
  ],
  ['HTML_ENTITY_DECODE', '&#60script&#62', '<script>'],
  ['COMPRESS_WHITE_SPACE', 'a \t\n\r\f  b', 'a b'],
  ['CMD_LINE', 'C^m"d\'.eXe /c  dir ,x;y', 'cmd.exe/c dir x y'],
  ['BASE64_DECODE', 'PHNjcmlwdD4=', '<script>'],
  ['BASE64_DECODE', 'not base64!', 'not base64!'],
  ['REMOVE_NULLS', 'a\0b', 'ab'],
  ['NORMALIZE_PATH', '/a/./b/../../etc//passwd', '/etc/passwd'],
  ['JS_DECODE', '\\x3cscript\\u003e\\u{61}', '<script>a'],
];

for (const [type, input, expected] of cases) {
  test(`${type}: ${JSON.stringify(input)}`, () => assert.equal(TRANSFORMS[type](input), expected));
}

test('transformations apply in ascending priority, whatever the list order', () => {
  const t = compileTransforms([
    { priority: 2, type: 'LOWERCASE' },
    { priority: 1, type: 'URL_DECODE' },
    { priority: 3, type: 'HTML_ENTITY_DECODE' },
  ]);
  assert.ok(t);
  assert.equal(t('%26LT%3BSCRIPT'), '<script');
  // Reversed priorities: entity decoding before URL decoding leaves "&LT;" (uppercase) alone.
  const r = compileTransforms([
    { priority: 1, type: 'HTML_ENTITY_DECODE' },
    { priority: 2, type: 'URL_DECODE' },
  ]);
  assert.equal(r?.('%26lt%3Bscript'), '&lt;script');
  assert.equal(compileTransforms([{ priority: 0, type: 'NONE' }]), undefined);
});
