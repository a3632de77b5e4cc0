import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromWafv2Json } from './aws-import.js';
import { compileAcl } from './engine.js';
import { MemoryRateCounterStore } from './rate.js';
import { WafRequest } from './request.js';
import { webAclSchema } from './schema.js';

/** A WebACL as `aws wafv2 get-web-acl` prints it (trimmed), exercising most of the model. */
const SAMPLE = {
  WebACL: {
    Name: 'shop-acl',
    Id: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    ARN: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop-acl/a1b2c3d4',
    DefaultAction: { Allow: {} },
    Description: '',
    Capacity: 1200,
    LabelNamespace: 'awswaf:123456789012:webacl:shop-acl:',
    VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'shop-acl' },
    CustomResponseBodies: { MyBlockPage: { ContentType: 'APPLICATION_JSON', Content: '{"error":"blocked"}' } },
    AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_32' } } },
    Rules: [
      {
        Name: 'office-only-admin',
        Priority: 0,
        Statement: {
          AndStatement: {
            Statements: [
              {
                ByteMatchStatement: {
                  SearchString: '/admin',
                  FieldToMatch: { UriPath: {} },
                  TextTransformations: [{ Priority: 0, Type: 'LOWERCASE' }],
                  PositionalConstraint: 'STARTS_WITH',
                },
              },
              {
                NotStatement: {
                  Statement: {
                    IPSetReferenceStatement: {
                      ARN: 'arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/office/9f8e7d6c',
                      IPSetForwardedIPConfig: {
                        HeaderName: 'X-Forwarded-For',
                        FallbackBehavior: 'NO_MATCH',
                        Position: 'FIRST',
                      },
                    },
                  },
                },
              },
            ],
          },
        },
        Action: {
          Block: {
            CustomResponse: {
              ResponseCode: 403,
              CustomResponseBodyKey: 'MyBlockPage',
              ResponseHeaders: [{ Name: 'x-blocked-by', Value: 'waf' }],
            },
          },
        },
        RuleLabels: [{ Name: 'shop:admin' }],
        VisibilityConfig: {
          SampledRequestsEnabled: true,
          CloudWatchMetricsEnabled: true,
          MetricName: 'office-only-admin',
        },
      },
      {
        Name: 'rate-limit',
        Priority: 1,
        Statement: {
          RateBasedStatement: {
            Limit: 100,
            EvaluationWindowSec: 60,
            AggregateKeyType: 'CUSTOM_KEYS',
            CustomKeys: [{ IP: {} }, { HTTPMethod: {} }],
          },
        },
        Action: { Block: {} },
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'rate-limit' },
      },
      {
        Name: 'AWS-AWSManagedRulesSQLiRuleSet',
        Priority: 2,
        Statement: {
          ManagedRuleGroupStatement: {
            VendorName: 'AWS',
            Name: 'AWSManagedRulesSQLiRuleSet',
            Version: 'Version_2.0',
            RuleActionOverrides: [
              { Name: 'SQLi_COOKIE', ActionToUse: { Count: {} } },
              { Name: 'SQLiExtendedPatterns_QUERYARGUMENTS', ActionToUse: { Count: {} } },
            ],
          },
        },
        OverrideAction: { None: {} },
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'sqli' },
      },
      {
        Name: 'AWS-AWSManagedRulesCommonRuleSet',
        Priority: 3,
        Statement: {
          ManagedRuleGroupStatement: {
            VendorName: 'AWS',
            Name: 'AWSManagedRulesCommonRuleSet',
            ExcludedRules: [{ Name: 'SizeRestrictions_BODY' }],
          },
        },
        OverrideAction: { None: {} },
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'crs' },
      },
      {
        Name: 'AWS-AWSManagedRulesBotControlRuleSet',
        Priority: 4,
        Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesBotControlRuleSet' } },
        OverrideAction: { None: {} },
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'bots' },
      },
      {
        Name: 'no-bad-ua',
        Priority: 5,
        Statement: {
          RegexMatchStatement: {
            RegexString: '(?i)sqlmap|nikto',
            FieldToMatch: { SingleHeader: { Name: 'user-agent' } },
            TextTransformations: [
              { Priority: 0, Type: 'NONE' },
              { Priority: 1, Type: 'UTF8_TO_UNICODE' },
            ],
          },
        },
        Action: { Captcha: {} },
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'ua' },
      },
      {
        Name: 'b64',
        Priority: 6,
        Statement: {
          ByteMatchStatement: {
            SearchStringBase64: Buffer.from('evil').toString('base64'),
            FieldToMatch: { QueryString: {} },
            TextTransformations: [{ Priority: 0, Type: 'NONE' }],
            PositionalConstraint: 'CONTAINS',
          },
        },
        Action: { Count: {} },
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'b64' },
      },
      {
        Name: 'ja3',
        Priority: 7,
        Statement: {
          ByteMatchStatement: {
            SearchString: 'x',
            FieldToMatch: { JA3Fingerprint: { FallbackBehavior: 'NO_MATCH' } },
            TextTransformations: [{ Priority: 0, Type: 'NONE' }],
            PositionalConstraint: 'EXACTLY',
          },
        },
        Action: { Block: {} },
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'ja3' },
      },
    ],
  },
};

test('fromWafv2Json maps a WebACL onto a valid config, with a report of what it left out', () => {
  const { acl, report } = fromWafv2Json(SAMPLE);
  const parsed = webAclSchema.safeParse(acl);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues, null, 1));
  const cfg = parsed.data;
  assert.equal(cfg.bodyInspectionLimitKb, 32);
  assert.deepEqual(cfg.customResponseBodies, {
    MyBlockPage: { contentType: 'APPLICATION_JSON', content: '{"error":"blocked"}' },
  });
  assert.deepEqual(
    cfg.rules.map((r) => r.name),
    [
      'office-only-admin',
      'rate-limit',
      'AWS-AWSManagedRulesSQLiRuleSet',
      'AWS-AWSManagedRulesCommonRuleSet',
      'no-bad-ua',
      'b64',
    ],
  );
  const admin = cfg.rules[0]?.statement.andStatement?.statements[1]?.notStatement?.statement.ipSetReferenceStatement;
  assert.deepEqual(admin, {
    name: 'office',
    ipSetForwardedIPConfig: { headerName: 'X-Forwarded-For', fallbackBehavior: 'NO_MATCH', position: 'FIRST' },
  });
  assert.deepEqual(cfg.rules[1]?.statement.rateBasedStatement?.customKeys, [{ ip: {} }, { httpMethod: {} }]);
  const sqli = cfg.rules[2]?.statement.managedRuleGroupStatement;
  assert.equal(sqli?.name, 'PorticoSQLiRuleSet');
  assert.deepEqual(sqli?.ruleActionOverrides, [{ name: 'SQLi_COOKIE', actionToUse: { count: {} } }]);
  assert.equal(cfg.rules[3]?.statement.managedRuleGroupStatement?.name, 'PorticoXSSRuleSet');
  assert.deepEqual(cfg.rules[4]?.action, { count: {} });
  assert.deepEqual(cfg.rules[4]?.statement.regexMatchStatement?.textTransformations, [{ priority: 0, type: 'NONE' }]);
  assert.equal(cfg.rules[5]?.statement.byteMatchStatement?.searchString, 'evil');

  assert.deepEqual(report.unsupportedManagedGroups, ['AWS/AWSManagedRulesBotControlRuleSet']);
  const notes = report.notes.join('\n');
  assert.match(notes, /SQLiExtendedPatterns_QUERYARGUMENTS is not in PorticoSQLiRuleSet; dropped/);
  assert.match(notes, /SizeRestrictions_BODY is not in PorticoXSSRuleSet; dropped/);
  assert.match(notes, /only the cross-site scripting rules of AWSManagedRulesCommonRuleSet/);
  assert.match(notes, /Version: ignored/);
  assert.match(notes, /Captcha actions are not supported/);
  assert.match(notes, /UTF8_TO_UNICODE is not supported/);
  assert.match(notes, /JA3Fingerprint is not supported; rule ja3 dropped/);
});

test('the imported ACL compiles and behaves: the admin path is blocked with the custom body from outside the office', () => {
  const { acl } = fromWafv2Json(SAMPLE);
  const problems: string[] = [];
  const compiled = compileAcl(
    webAclSchema.parse(acl),
    {
      issue: (p, m) => problems.push(`${p.join('.')}: ${m}`),
      ipSets: { office: { addresses: ['198.51.100.0/24'] } },
      regexSets: {},
      geo: undefined,
      counters: () => new MemoryRateCounterStore(),
    },
    { name: 'shop-acl' },
  );
  assert.deepEqual(problems, []);
  const ev = (xff: string) =>
    compiled.evaluate(
      new WafRequest({ method: 'GET', uriPath: '/Admin/users', headers: { 'x-forwarded-for': xff } }),
      0,
    );
  const out = ev('203.0.113.9');
  assert.equal(out.result.action, 'BLOCK');
  assert.equal(out.block?.status, 403);
  assert.equal(out.block?.body, '{"error":"blocked"}');
  assert.equal(out.block?.headers['x-blocked-by'], 'waf');
  assert.deepEqual(out.result.labels, ['shop:admin']);
  assert.equal(ev('198.51.100.4').result.action, 'ALLOW');
});

test('fromWafv2Json accepts the bare WebACL and CloudFormation Properties, and refuses non-objects', () => {
  const { acl } = fromWafv2Json({ DefaultAction: { Block: {} }, Rules: [], Scope: 'REGIONAL' });
  assert.deepEqual(acl, { defaultAction: { block: {} }, rules: [] });
  assert.throws(() => fromWafv2Json('nope'), /expected a WebACL JSON object/);
});
