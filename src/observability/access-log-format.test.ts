import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileAccessLogFormat } from './access-log-format.js';

test('formats: presets compile; templates need a request id and known variables', () => {
  assert.equal(typeof compileAccessLogFormat('json'), 'function');
  assert.equal(typeof compileAccessLogFormat('clf'), 'function');
  assert.equal(typeof compileAccessLogFormat('$context.requestId $context.status'), 'function');
  assert.equal(typeof compileAccessLogFormat('${context.extendedRequestId}'), 'function');
  const cases: [string, RegExp][] = [
    ['$context.status', /must contain \$context\.requestId/],
    ['$context.requestId $context.identity.apiKey', /unknown variable \$context\.identity\.apiKey/],
    ['$context.requestId $context.nope', /unknown variable \$context\.nope/],
  ];
  for (const [format, error] of cases) {
    const r = compileAccessLogFormat(format);
    assert.ok(typeof r !== 'function', format);
    assert.match(r.errors.join('\n'), error, format);
  }
});
