import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricName } from './load.js';

test('metricName: portico_plugin_<plugin>_<metric>_total, lower case, other characters as "_"', () => {
  assert.equal(metricName('require-header', 'rejected'), 'portico_plugin_require_header_rejected_total');
  assert.equal(metricName('My.Plugin', 'Hits_total'), 'portico_plugin_my_plugin_hits_total');
  assert.equal(metricName('p', 'bytes_in'), 'portico_plugin_p_bytes_in_total');
});
