import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileAcl, type CompiledAcl } from './engine.js';
import { MemoryRateCounterStore } from './rate.js';
import { WafRequest } from './request.js';
import { webAclSchema } from './schema.js';
import { type StatementConfig } from './statement-schema.js';
import type { GeoLookup } from './statements.js';

interface Built {
  acl: CompiledAcl;
  problems: string[];
  errors: string[];
}

function build(
  config: unknown,
  opts: { geo?: GeoLookup; ipSets?: Record<string, { addresses: string[] }> } = {},
): Built {
  const problems: string[] = [];
  const errors: string[] = [];
  const counters = new MemoryRateCounterStore();
  const acl = compileAcl(
    webAclSchema.parse(config),
    {
      issue: (p, m) => problems.push(`${p.join('.')}: ${m}`),
      ipSets: opts.ipSets ?? {},
      regexSets: { words: { regularExpressionList: [{ regexString: '^foo+$' }, { regexString: 'bar\\d' }] } },
      geo: opts.geo,
      counters: () => counters,
    },
    { name: 'test', onRuleError: (rule) => errors.push(rule) },
  );
  return { acl, problems, errors };
}

/** An ACL with one block rule on `statement`. */
function one(
  statement: StatementConfig | Record<string, unknown>,
  opts?: Parameters<typeof build>[1],
): (r: Partial<ConstructorParameters<typeof WafRequest>[0]>) => boolean {
  const { acl, problems } = build({ rules: [{ name: 'r', priority: 0, action: { block: {} }, statement }] }, opts);
  assert.deepEqual(problems, []);
  return (r) => acl.evaluate(new WafRequest({ method: 'GET', uriPath: '/', ...r }), 0).result.action === 'BLOCK';
}

const none = [{ priority: 0, type: 'NONE' }];

describe('statements', () => {
  test('byteMatchStatement: every positional constraint', () => {
    const m = (positionalConstraint: string, searchString: string) =>
      one({
        byteMatchStatement: {
          searchString,
          positionalConstraint,
          fieldToMatch: { uriPath: {} },
          textTransformations: none,
        },
      });
    assert.ok(m('EXACTLY', '/admin')({ uriPath: '/admin' }));
    assert.ok(!m('EXACTLY', '/admin')({ uriPath: '/admin/x' }));
    assert.ok(m('STARTS_WITH', '/admin')({ uriPath: '/admin/x' }));
    assert.ok(!m('STARTS_WITH', '/admin')({ uriPath: '/x/admin' }));
    assert.ok(m('ENDS_WITH', '.php')({ uriPath: '/x.php' }));
    assert.ok(!m('ENDS_WITH', '.php')({ uriPath: '/x.php5' }));
    assert.ok(m('CONTAINS', 'wp-')({ uriPath: '/blog/wp-login' }));
    assert.ok(m('CONTAINS_WORD', 'login')({ uriPath: '/blog/login' }));
    assert.ok(m('CONTAINS_WORD', 'login')({ uriPath: '/login?x' }));
    assert.ok(!m('CONTAINS_WORD', 'login')({ uriPath: '/blog/wplogin' }));
    assert.ok(!m('CONTAINS_WORD', 'login')({ uriPath: '/blog/login_x' }));
  });

  test('fields: query string, single/all query arguments, single header, headers (scope), cookies, method', () => {
    const bm = (fieldToMatch: unknown, searchString = 'evil') =>
      one({
        byteMatchStatement: {
          searchString,
          positionalConstraint: 'CONTAINS',
          fieldToMatch,
          textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
        },
      });
    assert.ok(bm({ queryString: {} })({ queryString: 'a=1&b=EVIL' }));
    assert.ok(bm({ singleQueryArgument: { name: 'B' } })({ queryString: 'a=1&b=EVIL' }));
    assert.ok(!bm({ singleQueryArgument: { name: 'a' } })({ queryString: 'a=1&b=EVIL' }));
    assert.ok(bm({ allQueryArguments: {} })({ queryString: 'a=1&b=%65vil' }), 'values are URL-decoded once');
    assert.ok(bm({ singleHeader: { name: 'User-Agent' } })({ headers: { 'user-agent': 'EvilBot' } }));
    assert.ok(!bm({ singleHeader: { name: 'referer' } })({ headers: { 'user-agent': 'EvilBot' } }));
    const keys = bm({ headers: { matchPattern: { all: {} }, matchScope: 'KEY' } }, 'x-evil');
    assert.ok(keys({ headers: { 'x-evil': '1' } }));
    assert.ok(!keys({ headers: { a: 'x-evil' } }));
    const inc = bm({ headers: { matchPattern: { includedHeaders: ['x-a'] }, matchScope: 'VALUE' } });
    assert.ok(inc({ headers: { 'x-a': 'evil' } }));
    assert.ok(!inc({ headers: { 'x-b': 'evil' } }));
    const exc = bm({ headers: { matchPattern: { excludedHeaders: ['x-a'] }, matchScope: 'ALL' } });
    assert.ok(!exc({ headers: { 'x-a': 'evil' } }));
    assert.ok(exc({ headers: { 'x-b': 'evil' } }));
    assert.ok(
      bm({ cookies: { matchPattern: { includedCookies: ['s'] }, matchScope: 'VALUE' } })({
        headers: { cookie: 'a=1; s=EVIL' },
      }),
    );
    assert.ok(bm({ method: {} }, 'delete')({ method: 'DELETE' }));
  });

  test('body and jsonBody: scopes, included paths, invalid JSON fallback, oversize handling', () => {
    const json = (body: string, extra: Record<string, unknown> = {}, oversize = false) => ({
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body),
      bodyOversize: oversize,
      bodySize: oversize ? 99999 : body.length,
      ...extra,
    });
    const jb = (jsonBody: Record<string, unknown>) =>
      one({
        byteMatchStatement: {
          searchString: 'evil',
          positionalConstraint: 'EXACTLY',
          fieldToMatch: { jsonBody: { matchPattern: { all: {} }, ...jsonBody } },
          textTransformations: none,
        },
      });
    assert.ok(jb({ matchScope: 'VALUE' })(json('{"a":{"b":["x","evil"]}}')));
    assert.ok(!jb({ matchScope: 'VALUE' })(json('{"evil":1}')));
    assert.ok(jb({ matchScope: 'KEY' })(json('{"evil":1}')));
    assert.ok(jb({ matchScope: 'ALL' })(json('{"evil":1}')));
    const paths = jb({ matchPattern: { includedPaths: ['/user/name'] }, matchScope: 'VALUE' });
    assert.ok(paths(json('{"user":{"name":"evil"},"x":"y"}')));
    assert.ok(!paths(json('{"user":{"nick":"evil"},"x":"evil"}')));
    assert.ok(jb({ matchScope: 'VALUE', invalidFallbackBehavior: 'MATCH' })(json('{not json')));
    assert.ok(!jb({ matchScope: 'VALUE', invalidFallbackBehavior: 'NO_MATCH' })(json('evil')));
    assert.ok(jb({ matchScope: 'VALUE', invalidFallbackBehavior: 'EVALUATE_AS_STRING' })(json('evil')));
    assert.ok(jb({ matchScope: 'VALUE', oversizeHandling: 'MATCH' })(json('{"a":"x"}', {}, true)));
    assert.ok(
      !jb({ matchScope: 'VALUE', oversizeHandling: 'NO_MATCH', invalidFallbackBehavior: 'MATCH' })(
        json('{"a":"evil"', {}, true),
      ),
    );
    const body = (oversizeHandling: string) =>
      one({
        byteMatchStatement: {
          searchString: 'evil',
          positionalConstraint: 'CONTAINS',
          fieldToMatch: { body: { oversizeHandling } },
          textTransformations: none,
        },
      });
    assert.ok(body('CONTINUE')({ body: Buffer.from('xx evil'), bodyOversize: true }));
    assert.ok(body('MATCH')({ body: Buffer.from('clean'), bodyOversize: true }));
    assert.ok(!body('NO_MATCH')({ body: Buffer.from('evil'), bodyOversize: true }));
    assert.ok(!body('CONTINUE')({}), 'no body: nothing to match');
  });

  test('regexMatchStatement (RE2) and regexPatternSetReferenceStatement (named and inline)', () => {
    const re = one({
      regexMatchStatement: {
        regexString: '^/api/v[0-9]+/admin',
        fieldToMatch: { uriPath: {} },
        textTransformations: none,
      },
    });
    assert.ok(re({ uriPath: '/api/v2/admin/users' }));
    assert.ok(!re({ uriPath: '/api/vx/admin' }));
    // a catastrophic pattern for a backtracking engine is linear in RE2
    const redos = one({
      regexMatchStatement: { regexString: '(a+)+$', fieldToMatch: { queryString: {} }, textTransformations: none },
    });
    assert.ok(!redos({ queryString: `${'a'.repeat(50_000)}!` }));
    const set = one({
      regexPatternSetReferenceStatement: {
        name: 'words',
        fieldToMatch: { singleQueryArgument: { name: 'q' } },
        textTransformations: none,
      },
    });
    assert.ok(set({ queryString: 'q=fooo' }));
    assert.ok(set({ queryString: 'q=xbar9' }));
    assert.ok(!set({ queryString: 'q=foox' }));
    const inline = one({
      regexPatternSetReferenceStatement: {
        regexList: ['^x', 'y$'],
        fieldToMatch: { method: {} },
        textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
      },
    });
    assert.ok(inline({ method: 'XGET' }));
    assert.ok(!inline({ method: 'GET' }));
  });

  test('regexes that RE2 cannot run (backreferences, lookaround) are config errors', () => {
    const { problems } = build({
      rules: [
        {
          name: 'r',
          priority: 0,
          action: { block: {} },
          statement: { regexMatchStatement: { regexString: '(?=a)b', fieldToMatch: { uriPath: {} } } },
        },
      ],
    });
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] as string,
      /^rules\.0\.statement\.regexMatchStatement\.regexString: invalid regular expression/,
    );
  });

  test('sizeConstraintStatement: every operator, on the transformed value and on the whole body', () => {
    const size = (comparisonOperator: string, n: number) =>
      one({
        sizeConstraintStatement: {
          comparisonOperator,
          size: n,
          fieldToMatch: { queryString: {} },
          textTransformations: [{ priority: 0, type: 'URL_DECODE' }],
        },
      });
    const q = { queryString: 'a%20b' }; // 3 bytes after URL_DECODE
    assert.ok(size('EQ', 3)(q));
    assert.ok(size('NE', 4)(q));
    assert.ok(size('LE', 3)(q));
    assert.ok(size('LT', 4)(q));
    assert.ok(size('GE', 3)(q));
    assert.ok(size('GT', 2)(q));
    assert.ok(!size('GT', 3)(q));
    const body = one({ sizeConstraintStatement: { comparisonOperator: 'GT', size: 100, fieldToMatch: { body: {} } } });
    assert.ok(
      body({ body: Buffer.alloc(10), bodyOversize: true, bodySize: 5000 }),
      'the whole size counts, not the inspected prefix',
    );
    assert.ok(!body({ body: Buffer.alloc(10), bodySize: 10 }));
  });

  test('sqliMatchStatement and xssMatchStatement with transformations and sensitivity', () => {
    const sqli = one({
      sqliMatchStatement: {
        fieldToMatch: { allQueryArguments: {} },
        textTransformations: [{ priority: 0, type: 'URL_DECODE' }],
      },
    });
    assert.ok(sqli({ queryString: `id=${encodeURIComponent("1' UNION SELECT password FROM users--")}` }));
    assert.ok(sqli({ queryString: 'id=1%2527%2520or%25201%253D1--' }), 'double-encoded, decoded by URL_DECODE');
    assert.ok(!sqli({ queryString: `name=${encodeURIComponent("O'Reilly")}` }));
    const xss = one({
      xssMatchStatement: {
        fieldToMatch: { singleHeader: { name: 'referer' } },
        textTransformations: [{ priority: 0, type: 'HTML_ENTITY_DECODE' }],
      },
    });
    assert.ok(xss({ headers: { referer: '&lt;svg onload=alert(1)&gt;' } }));
    assert.ok(!xss({ headers: { referer: 'https://example.com/a?b=c' } }));
    const high = one({ sqliMatchStatement: { fieldToMatch: { queryString: {} }, sensitivityLevel: 'HIGH' } });
    const low = one({ sqliMatchStatement: { fieldToMatch: { queryString: {} }, sensitivityLevel: 'LOW' } });
    const weak = "x' or abc"; // quote break with a bare boolean: HIGH only
    assert.ok(high({ queryString: weak }));
    assert.ok(!low({ queryString: weak }));
  });

  test('ipSetReferenceStatement: client IP (v4, v6), named sets, forwarded header positions and fallback', () => {
    const ip = one({ ipSetReferenceStatement: { addresses: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] } });
    assert.ok(ip({ clientIp: '10.1.2.3' }));
    assert.ok(ip({ clientIp: '2001:db8:1::5' }));
    assert.ok(ip({ clientIp: '192.0.2.7' }));
    assert.ok(!ip({ clientIp: '192.0.2.8' }));
    assert.ok(!ip({ clientIp: 'not-an-ip' }));
    const named = one(
      { ipSetReferenceStatement: { name: 'office' } },
      { ipSets: { office: { addresses: ['198.51.100.0/24'] } } },
    );
    assert.ok(named({ clientIp: '198.51.100.200' }));
    const fwd = (position: string, fallbackBehavior: string) =>
      one({
        ipSetReferenceStatement: {
          addresses: ['10.0.0.0/8'],
          ipSetForwardedIPConfig: { headerName: 'X-Forwarded-For', position, fallbackBehavior },
        },
      });
    const h = { headers: { 'x-forwarded-for': '203.0.113.1, 10.0.0.1' }, clientIp: '10.9.9.9' };
    assert.ok(!fwd('FIRST', 'NO_MATCH')(h));
    assert.ok(fwd('LAST', 'NO_MATCH')(h));
    assert.ok(fwd('ANY', 'NO_MATCH')(h));
    assert.ok(fwd('FIRST', 'MATCH')({}), 'missing header: fallback MATCH');
    assert.ok(
      !fwd('FIRST', 'NO_MATCH')({ headers: { 'x-forwarded-for': 'garbage' } }),
      'invalid header: fallback NO_MATCH',
    );
  });

  test('geoMatchStatement: uses the database when there is one, never matches without', () => {
    const geo: GeoLookup = (ip) => (ip.startsWith('81.') ? 'DE' : ip.startsWith('3.') ? 'US' : undefined);
    const withDb = one({ geoMatchStatement: { countryCodes: ['DE', 'FR'] } }, { geo });
    assert.ok(withDb({ clientIp: '81.2.3.4' }));
    assert.ok(!withDb({ clientIp: '3.3.3.3' }));
    assert.ok(!withDb({ clientIp: '127.0.0.1' }));
    const fwd = one(
      {
        geoMatchStatement: {
          countryCodes: ['US'],
          forwardedIPConfig: { headerName: 'x-real-ip', fallbackBehavior: 'MATCH' },
        },
      },
      { geo },
    );
    assert.ok(fwd({ headers: { 'x-real-ip': '3.1.1.1' }, clientIp: '81.1.1.1' }));
    assert.ok(fwd({}), 'missing header: fallback MATCH');
    const noDb = one({ geoMatchStatement: { countryCodes: ['DE'] } });
    assert.ok(!noDb({ clientIp: '81.2.3.4' }));
  });

  test('and / or / not', () => {
    const get = {
      byteMatchStatement: {
        searchString: 'GET',
        positionalConstraint: 'EXACTLY',
        fieldToMatch: { method: {} },
        textTransformations: none,
      },
    };
    const admin = {
      byteMatchStatement: {
        searchString: '/admin',
        positionalConstraint: 'STARTS_WITH',
        fieldToMatch: { uriPath: {} },
        textTransformations: none,
      },
    };
    const and = one({ andStatement: { statements: [get, admin] } });
    assert.ok(and({ method: 'GET', uriPath: '/admin' }));
    assert.ok(!and({ method: 'POST', uriPath: '/admin' }));
    const or = one({ orStatement: { statements: [get, admin] } });
    assert.ok(or({ method: 'POST', uriPath: '/admin' }));
    assert.ok(!or({ method: 'POST', uriPath: '/x' }));
    const not = one({ notStatement: { statement: get } });
    assert.ok(not({ method: 'POST' }));
    assert.ok(!not({ method: 'GET' }));
  });
});

describe('rule evaluation', () => {
  const uri = (s: string) => ({
    byteMatchStatement: {
      searchString: s,
      positionalConstraint: 'CONTAINS',
      fieldToMatch: { uriPath: {} },
      textTransformations: none,
    },
  });

  test('rules run by priority, not list order; allow and block terminate, count goes on', () => {
    const { acl } = build({
      defaultAction: { block: {} },
      rules: [
        { name: 'block-x', priority: 20, action: { block: {} }, statement: uri('x') },
        { name: 'count-all', priority: 1, action: { count: {} }, statement: uri('/'), ruleLabels: [{ name: 'seen' }] },
        { name: 'allow-ok', priority: 10, action: { allow: {} }, statement: uri('ok') },
      ],
    });
    const r = (p: string) => acl.evaluate(new WafRequest({ method: 'GET', uriPath: p }), 0).result;
    const okx = r('/okx');
    assert.equal(okx.action, 'ALLOW', 'allow at priority 10 wins over block at 20');
    assert.equal(okx.terminatingRuleId, 'allow-ok');
    assert.deepEqual(okx.ruleIds, ['count-all', 'allow-ok']);
    assert.deepEqual(okx.countedRuleIds, ['count-all']);
    assert.deepEqual(okx.labels, ['seen']);
    const x = r('/x');
    assert.equal(x.action, 'BLOCK');
    assert.equal(x.terminatingRuleId, 'block-x');
    const none = r('/y');
    assert.equal(none.action, 'BLOCK');
    assert.equal(none.terminatingRuleId, 'Default_Action');
    assert.equal(none.terminatingRuleType, 'DEFAULT');
  });

  test('labels: added by matching rules, visible to later rules by name, suffix or namespace', () => {
    const { acl } = build({
      rules: [
        {
          name: 'tag',
          priority: 0,
          action: { count: {} },
          statement: uri('/api'),
          ruleLabels: [{ name: 'app:zone:api' }],
        },
        {
          name: 'by-name',
          priority: 1,
          action: { count: {} },
          statement: { labelMatchStatement: { scope: 'LABEL', key: 'zone:api' } },
          ruleLabels: [{ name: 'second' }],
        },
        {
          name: 'by-ns',
          priority: 2,
          action: { block: {} },
          statement: {
            andStatement: {
              statements: [{ labelMatchStatement: { scope: 'NAMESPACE', key: 'app:zone:' } }, uri('secret')],
            },
          },
        },
      ],
    });
    const r = (p: string) => acl.evaluate(new WafRequest({ method: 'GET', uriPath: p }), 0).result;
    assert.deepEqual(r('/api/x').labels, ['app:zone:api', 'second']);
    assert.equal(r('/api/secret').action, 'BLOCK');
    assert.equal(r('/web/secret').action, 'ALLOW', 'no label, no match');
  });

  test('rate-based rule: per IP over the window, with a scope-down statement, on the given clock', () => {
    const { acl } = build({
      rules: [
        {
          name: 'flood',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: 10,
              evaluationWindowSec: 60,
              aggregateKeyType: 'IP',
              scopeDownStatement: uri('/login'),
            },
          },
        },
      ],
    });
    const t0 = Date.UTC(2026, 0, 1);
    const r = (ip: string, p: string, now: number) =>
      acl.evaluate(new WafRequest({ method: 'POST', uriPath: p, clientIp: ip }), now).result.action;
    for (let i = 0; i < 10; i++) assert.equal(r('192.0.2.1', '/login', t0 + i), 'ALLOW');
    assert.equal(r('192.0.2.1', '/login', t0 + 10), 'BLOCK');
    assert.equal(r('192.0.2.1', '/home', t0 + 11), 'ALLOW', 'outside the scope-down: not counted, not blocked');
    assert.equal(r('192.0.2.2', '/login', t0 + 12), 'ALLOW', 'another IP');
    assert.equal(r('192.0.2.1', '/login', t0 + 125_000), 'ALLOW', 'the window has passed');
  });

  test('rate-based rule on a constant key and on forwarded IPs', () => {
    const { acl } = build({
      rules: [
        {
          name: 'global',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: 10, aggregateKeyType: 'CONSTANT', scopeDownStatement: uri('/c') } },
        },
        {
          name: 'fwd',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: 10,
              aggregateKeyType: 'FORWARDED_IP',
              forwardedIPConfig: { headerName: 'x-real-ip', fallbackBehavior: 'NO_MATCH' },
            },
          },
        },
      ],
    });
    const ev = (p: string, ip: string, h: Record<string, string> = {}) =>
      acl.evaluate(new WafRequest({ method: 'GET', uriPath: p, clientIp: ip, headers: h }), 0).result.action;
    for (let i = 0; i < 10; i++) ev('/c', `192.0.2.${i}`);
    assert.equal(ev('/c', '192.0.2.99'), 'BLOCK', 'every caller shares the constant key');
    for (let i = 0; i < 10; i++) assert.equal(ev('/f', '10.0.0.1', { 'x-real-ip': '203.0.113.5' }), 'ALLOW');
    assert.equal(
      ev('/f', '10.0.0.2', { 'x-real-ip': '203.0.113.5' }),
      'BLOCK',
      'counted by the forwarded IP, not the peer',
    );
    assert.equal(ev('/f', '10.0.0.2'), 'ALLOW', 'no header: not counted (NO_MATCH)');
  });

  test('managed group: labels, count overrides per rule, overrideAction count, scope-down', () => {
    const attack = `q=${encodeURIComponent("1' OR '1'='1")}`;
    const group = (extra: Record<string, unknown>, rule: Record<string, unknown> = {}) =>
      build({
        rules: [
          {
            name: 'sqli',
            priority: 0,
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { name: 'PorticoSQLiRuleSet', ...extra } },
            ...rule,
          },
        ],
      }).acl;
    const ev = (acl: CompiledAcl, p = '/') =>
      acl.evaluate(new WafRequest({ method: 'GET', uriPath: p, queryString: attack }), 0).result;
    const blocked = ev(group({}));
    assert.equal(blocked.action, 'BLOCK');
    assert.equal(blocked.terminatingRuleId, 'sqli');
    assert.equal(blocked.terminatingRuleType, 'MANAGED_RULE_GROUP');
    assert.deepEqual(blocked.ruleIds, ['sqli:SQLi_QUERYARGUMENTS']);
    assert.deepEqual(blocked.labels, ['portico:managed:sql-database:SQLi_QUERYARGUMENTS']);
    const counted = ev(group({ ruleActionOverrides: [{ name: 'SQLi_QUERYARGUMENTS', actionToUse: { count: {} } }] }));
    assert.equal(counted.action, 'ALLOW');
    assert.deepEqual(counted.countedRuleIds, ['sqli:SQLi_QUERYARGUMENTS']);
    assert.equal(ev(group({ excludedRules: [{ name: 'SQLi_QUERYARGUMENTS' }] })).action, 'ALLOW');
    assert.equal(ev(group({}, { overrideAction: { count: {} } })).action, 'ALLOW');
    const scoped = group({ scopeDownStatement: uri('/api') });
    assert.equal(ev(scoped, '/web').action, 'ALLOW');
    assert.equal(ev(scoped, '/api').action, 'BLOCK');
    const aws = build({
      rules: [
        {
          name: 'x',
          priority: 0,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesSQLiRuleSet' } },
        },
      ],
    });
    assert.deepEqual(aws.problems, [], 'the AWS group name maps to ours');
  });

  test('config problems: unknown group or rule override, action on a group, missing action, duplicates', () => {
    const { problems } = build({
      rules: [
        {
          name: 'a',
          priority: 0,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { name: 'Nope' } },
        },
        {
          name: 'b',
          priority: 1,
          action: { block: {} },
          statement: {
            managedRuleGroupStatement: {
              name: 'PorticoXSSRuleSet',
              ruleActionOverrides: [{ name: 'Nope', actionToUse: { count: {} } }],
            },
          },
        },
        { name: 'c', priority: 2, statement: uri('x') },
        { name: 'c', priority: 2, action: { block: {} }, statement: uri('x') },
      ],
    });
    assert.equal(problems.length, 6, problems.join('\n'));
    assert.match(
      problems.join('\n'),
      /rules\.0\.statement\.managedRuleGroupStatement\.name: unknown managed rule group/,
    );
    assert.match(problems.join('\n'), /rules\.1\.action: a managed rule group takes overrideAction/);
    assert.match(problems.join('\n'), /ruleActionOverrides\.0\.name: group PorticoXSSRuleSet has no rule "Nope"/);
    assert.match(problems.join('\n'), /rules\.2\.action: expected an action/);
    assert.match(problems.join('\n'), /rules\.3\.name: duplicate rule name/);
    assert.match(problems.join('\n'), /rules\.3\.priority: duplicate priority 2/);
  });

  test('fail safe: a rule that throws counts as a match for block rules (and is reported), not for count rules', () => {
    const { acl, errors } = build({
      rules: [
        {
          name: 'count-throws',
          priority: 0,
          action: { count: {} },
          statement: {
            byteMatchStatement: {
              searchString: 'x',
              positionalConstraint: 'CONTAINS',
              fieldToMatch: { singleHeader: { name: 'x-boom' } },
            },
          },
        },
        {
          name: 'block-throws',
          priority: 1,
          action: { block: {} },
          statement: {
            byteMatchStatement: {
              searchString: 'x',
              positionalConstraint: 'CONTAINS',
              fieldToMatch: { singleHeader: { name: 'x-boom' } },
            },
          },
        },
      ],
    });
    const headers = {};
    Object.defineProperty(headers, 'x-boom', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    const r = acl.evaluate(new WafRequest({ method: 'GET', uriPath: '/', headers }), 0).result;
    assert.equal(r.action, 'BLOCK');
    assert.equal(r.terminatingRuleId, 'block-throws');
    assert.deepEqual(r.countedRuleIds, []);
    assert.equal(r.errors, 2);
    assert.deepEqual(errors, ['count-throws', 'block-throws']);
  });

  test('the schema rejects a statement with two types, and a field with none', () => {
    const bad = webAclSchema.safeParse({
      rules: [
        {
          name: 'r',
          priority: 0,
          action: { block: {} },
          statement: { notStatement: { statement: uri('x') }, orStatement: { statements: [uri('a'), uri('b')] } },
        },
      ],
    });
    assert.ok(!bad.success);
    assert.match(JSON.stringify(bad.error.issues), /expected exactly one statement type/);
    const noField = webAclSchema.safeParse({
      rules: [
        { name: 'r', priority: 0, action: { block: {} }, statement: { sqliMatchStatement: { fieldToMatch: {} } } },
      ],
    });
    assert.ok(!noField.success);
    assert.match(JSON.stringify(noField.error.issues), /expected exactly one field/);
  });
});
