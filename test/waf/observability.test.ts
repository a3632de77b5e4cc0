import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { AccessLogService } from '../../src/observability/access-log.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http-call.js';
import { parseMetrics, scrape, series, until, value } from '../observability/helpers.js';

/** The WAF's access-log variables, plus requestId and status to tell lines apart. */
const VARIABLES = [
  'requestId',
  'status',
  'waf.status',
  'waf.action',
  'waf.terminatingRuleId',
  'waf.matchedRules',
  'waf.labels',
  'waf.error',
  'wafResponseCode',
];
const TEMPLATE = VARIABLES.map((v) => `${v}=$context.${v}`).join('|');

/** A stage with an ACL that counts curl and blocks /admin; a stage without a WAF. */
const config = (format: string) => `version: 1
wafAcls:
  edge:
    defaultAction: { allow: {} }
    rules:
      - name: curl-ua
        priority: 1
        action: { count: {} }
        ruleLabels: [{ name: "suspect:curl" }]
        statement:
          byteMatchStatement:
            searchString: curl/
            fieldToMatch: { singleHeader: { name: user-agent } }
            positionalConstraint: STARTS_WITH
            textTransformations: [{ priority: 0, type: LOWERCASE }]
      - name: no-admin
        priority: 2
        action: { block: {} }
        ruleLabels: [{ name: "blocked:admin" }]
        statement:
          byteMatchStatement: { searchString: /admin, fieldToMatch: { uriPath: {} }, positionalConstraint: CONTAINS }
apis:
  - name: shop
    type: rest
    stages:
      prod: {}
      open: { waf: false }
    waf: edge
    routes:
      - { route: "GET /items/{id}", integration: { type: mock, body: item } }
observability:
  metrics: { processMetrics: false }
  accessLog: { enabled: true, destination: access.log, format: '${format}' }
`;

async function lines(t: TestGateway, n: number): Promise<string[]> {
  const svc = t.gw.runtime.services.get('accessLog') as AccessLogService;
  let out: string[] = [];
  await until(async () => {
    await svc.flush();
    out = (await readFile(join(t.dir, 'access.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    return out.length >= n;
  });
  return out;
}

/** The four requests: counted, counted + blocked, clean, and on the stage without a WAF. */
async function traffic(t: TestGateway): Promise<string[]> {
  const ids: string[] = [];
  const send = async (path: string, ua: string, status: number) => {
    const r = await call(t.port, 'GET', path, { 'user-agent': ua });
    assert.equal(r.status, status, `${path}: ${r.body}`);
    ids.push(r.headers['x-amzn-requestid'] as string);
  };
  await send('/prod/items/1', 'curl/8.5.0', 200);
  await send('/prod/admin/x', 'curl/8.5.0', 403);
  await send('/prod/items/2', 'obs-test/1.0', 200);
  await send('/open/admin/x', 'curl/8.5.0', 403); // no WAF: a route miss (MISSING_AUTHENTICATION_TOKEN)
  return ids;
}

function fields(line: string): Record<string, string> {
  return Object.fromEntries(line.split('|').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

describe('WAF observability', () => {
  test('$context.waf.* template variables and per-rule metrics', async () => {
    const t = await startTestGateway(config(TEMPLATE));
    try {
      const ids = await traffic(t);
      const byId = new Map((await lines(t, 4)).map((l) => fields(l)).map((f) => [f.requestId, f]));
      const [counted, blocked, clean, noWaf] = ids.map((id) => byId.get(id));
      assert.deepEqual(counted, {
        requestId: ids[0],
        status: '200',
        'waf.status': '200',
        'waf.action': 'COUNT',
        'waf.terminatingRuleId': 'Default_Action',
        'waf.matchedRules': 'curl-ua',
        'waf.labels': 'suspect:curl',
        'waf.error': '-',
        wafResponseCode: 'WAF_ALLOW',
      });
      assert.deepEqual(blocked, {
        requestId: ids[1],
        status: '403',
        'waf.status': '403',
        'waf.action': 'BLOCK',
        'waf.terminatingRuleId': 'no-admin',
        'waf.matchedRules': 'curl-ua,no-admin',
        'waf.labels': 'suspect:curl,blocked:admin',
        'waf.error': '-',
        wafResponseCode: 'WAF_BLOCK',
      });
      assert.deepEqual(clean, {
        requestId: ids[2],
        status: '200',
        'waf.status': '200',
        'waf.action': 'ALLOW',
        'waf.terminatingRuleId': 'Default_Action',
        'waf.matchedRules': '-',
        'waf.labels': '-',
        'waf.error': '-',
        wafResponseCode: 'WAF_ALLOW',
      });
      assert.deepEqual(noWaf, {
        requestId: ids[3],
        status: '403',
        'waf.status': '-',
        'waf.action': '-',
        'waf.terminatingRuleId': '-',
        'waf.matchedRules': '-',
        'waf.labels': '-',
        'waf.error': '-',
        wafResponseCode: '-',
      });

      const m = await scrape(t.gw);
      assert.equal(m.status, 200);
      const samples = parseMetrics(m.text);
      const prod = { api: 'shop', stage: 'prod' };
      assert.equal(value(samples, 'portico_waf_requests_total', { ...prod, action: 'COUNT' }), 1);
      assert.equal(value(samples, 'portico_waf_requests_total', { ...prod, action: 'BLOCK' }), 1);
      assert.equal(value(samples, 'portico_waf_requests_total', { ...prod, action: 'ALLOW' }), 1);
      assert.equal(series(samples, 'portico_waf_requests_total').length, 3);
      assert.equal(value(samples, 'portico_waf_rule_matches_total', { ...prod, rule: 'curl-ua', action: 'COUNT' }), 2);
      assert.equal(value(samples, 'portico_waf_rule_matches_total', { ...prod, rule: 'no-admin', action: 'BLOCK' }), 1);
      assert.equal(series(samples, 'portico_waf_rule_matches_total').length, 2);
      assert.equal(series(samples, 'portico_waf_requests_total', { stage: 'open' }).length, 0);
    } finally {
      await t.close();
    }
  });

  test('json preset: a "waf" object when the WAF ran, none otherwise', async () => {
    const t = await startTestGateway(config('json'));
    try {
      const ids = await traffic(t);
      const byId = new Map(
        (await lines(t, 4)).map((l) => JSON.parse(l) as Record<string, unknown>).map((o) => [o.requestId, o]),
      );
      const [counted, blocked, clean, noWaf] = ids.map((id) => byId.get(id) as Record<string, unknown>);
      const waf = (
        action: string,
        status: number,
        code: string,
        term: string,
        matched: string[],
        counted: string[],
        labels: string[],
      ) => ({
        status,
        action,
        responseCode: code,
        acl: 'edge',
        terminatingRuleId: term,
        terminatingRuleType: term === 'Default_Action' ? 'DEFAULT' : 'REGULAR',
        matchedRules: matched,
        countedRules: counted,
        labels,
        error: null,
      });
      assert.deepEqual(
        counted?.waf,
        waf('COUNT', 200, 'WAF_ALLOW', 'Default_Action', ['curl-ua'], ['curl-ua'], ['suspect:curl']),
      );
      assert.deepEqual(
        blocked?.waf,
        waf(
          'BLOCK',
          403,
          'WAF_BLOCK',
          'no-admin',
          ['curl-ua', 'no-admin'],
          ['curl-ua'],
          ['suspect:curl', 'blocked:admin'],
        ),
      );
      assert.equal(blocked?.status, 403);
      assert.equal(blocked?.errorResponseType, 'WAF_FILTERED');
      assert.deepEqual(clean?.waf, waf('ALLOW', 200, 'WAF_ALLOW', 'Default_Action', [], [], []));
      assert.ok(noWaf && !('waf' in noWaf), 'no waf key without a web ACL');
      assert.equal(noWaf.stage, 'open');
    } finally {
      await t.close();
    }
  });
});
