/**
 * WAF config: AWS WAFv2's JSON rule model with every key's first letter lower-cased (our YAML
 * convention), so `DefaultAction.Block.CustomResponse.ResponseCode` is
 * `defaultAction.block.customResponse.responseCode`. fromWafv2Json (aws-import.ts) does the mapping
 * and the few renames (ARNs → names). docs/waf.md has the table.
 */
import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';
import { TEXT_TRANSFORMATION_TYPES } from './transforms.js';

const empty = z.strictObject({}).describe('Present = selected (AWS uses an empty object).');
const aclName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a name of letters, digits, "_", "." or "-" (max 128)');
const labelName = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,1024}$/, 'expected a label of letters, digits, "_", ".", "-" and ":" namespaces');
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');
const oversizeHandling = z
  .enum(['CONTINUE', 'MATCH', 'NO_MATCH'])
  .default('CONTINUE')
  .describe('Body larger than the inspection limit: CONTINUE inspects the first bytes, MATCH matches, NO_MATCH does not.');

const textTransformations = z
  .array(
    z.strictObject({
      priority: z.number().int().min(0).describe('Order of application, lowest first.'),
      type: z.enum(TEXT_TRANSFORMATION_TYPES).describe('The transformation.'),
    }),
  )
  .default([{ priority: 0, type: 'NONE' }])
  .describe('Transformations applied, in priority order, before inspection (AWS TextTransformations).');

const jsonMatchScope = z.enum(['ALL', 'KEY', 'VALUE']);

export const fieldToMatchSchema = z
  .strictObject({
    uriPath: empty.optional().describe('The request path (as received, without the query string).'),
    queryString: empty.optional().describe('The query string, without "?".'),
    method: empty.optional().describe('The HTTP method.'),
    singleHeader: z.strictObject({ name: headerName.describe('Header name (case-insensitive).') }).optional().describe('One header\'s value.'),
    singleQueryArgument: z
      .strictObject({ name: z.string().min(1).describe('Query argument name (case-insensitive, as AWS).') })
      .optional()
      .describe('One query argument\'s decoded value(s).'),
    allQueryArguments: empty.optional().describe('Every query argument value, each inspected on its own.'),
    headers: z
      .strictObject({
        matchPattern: z
          .strictObject({
            all: empty.optional().describe('Every header.'),
            includedHeaders: z.array(headerName).optional().describe('Only these headers.'),
            excludedHeaders: z.array(headerName).optional().describe('Every header but these.'),
          })
          .prefault({ all: {} })
          .describe('Which headers.'),
        matchScope: jsonMatchScope.default('ALL').describe('Inspect header names (KEY), values (VALUE) or both (ALL).'),
        oversizeHandling: z.enum(['CONTINUE', 'MATCH', 'NO_MATCH']).default('CONTINUE').describe('Accepted for AWS compatibility; headers are never truncated here.'),
      })
      .optional()
      .describe('Headers, each name and/or value inspected on its own.'),
    cookies: z
      .strictObject({
        matchPattern: z
          .strictObject({
            all: empty.optional().describe('Every cookie.'),
            includedCookies: z.array(z.string()).optional().describe('Only these cookies.'),
            excludedCookies: z.array(z.string()).optional().describe('Every cookie but these.'),
          })
          .prefault({ all: {} })
          .describe('Which cookies.'),
        matchScope: jsonMatchScope.default('ALL').describe('Inspect cookie names (KEY), values (VALUE) or both (ALL).'),
        oversizeHandling: z.enum(['CONTINUE', 'MATCH', 'NO_MATCH']).default('CONTINUE').describe('Accepted for AWS compatibility.'),
      })
      .optional()
      .describe('Cookies from the Cookie header.'),
    body: z.strictObject({ oversizeHandling }).optional().describe('The first bytes of the body (see bodyInspectionLimitKb).'),
    jsonBody: z
      .strictObject({
        matchPattern: z
          .strictObject({
            all: empty.optional().describe('Every element.'),
            includedPaths: z
              .array(z.string().regex(/^(\/([^/~]|~[01])*)*$/, 'expected a JSON Pointer such as /user/name'))
              .optional()
              .describe('Only the elements at these JSON Pointers (and below).'),
          })
          .prefault({ all: {} })
          .describe('Which elements.'),
        matchScope: jsonMatchScope.default('VALUE').describe('Inspect keys, values (default) or both.'),
        invalidFallbackBehavior: z
          .enum(['MATCH', 'NO_MATCH', 'EVALUATE_AS_STRING'])
          .default('EVALUATE_AS_STRING')
          .describe('Body that is not valid JSON (or is cut by the limit): match, no match, or inspect it as plain text.'),
        oversizeHandling,
      })
      .optional()
      .describe('The body parsed as JSON; every key and/or leaf value is inspected on its own.'),
  })
  .refine((f) => Object.values(f).filter((v) => v !== undefined).length === 1, 'expected exactly one field, e.g. { uriPath: {} }')
  .describe('The part of the request to inspect (AWS FieldToMatch).');

const forwardedIpConfig = z
  .strictObject({
    headerName: headerName.describe('Header holding the client IP, e.g. X-Forwarded-For.'),
    fallbackBehavior: z.enum(['MATCH', 'NO_MATCH']).describe('When the header is missing or not an IP.'),
  })
  .describe('Take the IP from this header instead of the connection (after trusted proxies).');

const ipSetForwardedIpConfig = forwardedIpConfig
  .extend({
    position: z.enum(['FIRST', 'LAST', 'ANY']).default('FIRST').describe('Which address of a list to use (ANY: any of them).'),
  })
  .describe('Take the IP from this header instead of the connection.');

const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'expected an IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32');

const sensitivity = z.enum(['LOW', 'HIGH']).default('LOW').describe('LOW (AWS default): few false positives. HIGH: more detection, more false positives.');

const customKey = z
  .strictObject({
    ip: empty.optional().describe('The client IP.'),
    forwardedIP: empty.optional().describe('The IP from forwardedIPConfig.'),
    httpMethod: empty.optional().describe('The method.'),
    uriPath: z.strictObject({ textTransformations }).optional().describe('The path.'),
    header: z.strictObject({ name: headerName, textTransformations }).optional().describe('A header value.'),
    queryArgument: z.strictObject({ name: z.string().min(1), textTransformations }).optional().describe('A query argument value.'),
    queryString: z.strictObject({ textTransformations }).optional().describe('The query string.'),
    cookie: z.strictObject({ name: z.string().min(1), textTransformations }).optional().describe('A cookie value.'),
    labelNamespace: z.strictObject({ namespace: labelName }).optional().describe('Labels of this namespace on the request.'),
  })
  .refine((f) => Object.values(f).filter((v) => v !== undefined).length === 1, 'expected exactly one key part, e.g. { ip: {} }')
  .describe('One part of a CUSTOM_KEYS aggregation key.');

const customResponse = z
  .strictObject({
    responseCode: z.number().int().min(200).max(599).describe('Status code.'),
    customResponseBodyKey: z.string().min(1).optional().describe('A key of customResponseBodies.'),
    responseHeaders: z
      .array(z.strictObject({ name: headerName, value: z.string().max(8192) }))
      .optional()
      .describe('Extra headers.'),
  })
  .describe('A custom block response; without it a block is the WAF_FILTERED gateway response.');

export const ruleActionSchema = z
  .strictObject({
    allow: z.strictObject({ customRequestHandling: z.unknown().optional() }).optional().describe('Let the request through (terminating).'),
    block: z.strictObject({ customResponse: customResponse.optional() }).optional().describe('Answer 403 WAF_FILTERED or the custom response (terminating).'),
    count: z.strictObject({ customRequestHandling: z.unknown().optional() }).optional().describe('Record the match and its labels, go on.'),
  })
  .refine((a) => Object.values(a).filter((v) => v !== undefined).length === 1, 'expected exactly one of allow, block, count')
  .describe('What a matching rule does.');

const ruleActionOverride = z.strictObject({
  name: z.string().min(1).describe('Rule name inside the group, e.g. SQLi_QUERYARGUMENTS.'),
  actionToUse: ruleActionSchema.describe('The action to use instead of the rule\'s own (e.g. { count: {} }).'),
});

export interface StatementConfig {
  byteMatchStatement?: { searchString: string; fieldToMatch: FieldToMatch; textTransformations: TextTransformationConfig[]; positionalConstraint: 'EXACTLY' | 'STARTS_WITH' | 'ENDS_WITH' | 'CONTAINS' | 'CONTAINS_WORD' };
  regexMatchStatement?: { regexString: string; fieldToMatch: FieldToMatch; textTransformations: TextTransformationConfig[] };
  regexPatternSetReferenceStatement?: { name?: string | undefined; regexList?: string[] | undefined; fieldToMatch: FieldToMatch; textTransformations: TextTransformationConfig[] };
  sizeConstraintStatement?: { fieldToMatch: FieldToMatch; comparisonOperator: 'EQ' | 'NE' | 'LE' | 'LT' | 'GE' | 'GT'; size: number; textTransformations: TextTransformationConfig[] };
  sqliMatchStatement?: { fieldToMatch: FieldToMatch; textTransformations: TextTransformationConfig[]; sensitivityLevel: 'LOW' | 'HIGH' };
  xssMatchStatement?: { fieldToMatch: FieldToMatch; textTransformations: TextTransformationConfig[]; sensitivityLevel: 'LOW' | 'HIGH' };
  ipSetReferenceStatement?: { name?: string | undefined; addresses?: string[] | undefined; ipSetForwardedIPConfig?: z.infer<typeof ipSetForwardedIpConfig> | undefined };
  geoMatchStatement?: { countryCodes: string[]; forwardedIPConfig?: z.infer<typeof forwardedIpConfig> | undefined };
  labelMatchStatement?: { scope: 'LABEL' | 'NAMESPACE'; key: string };
  rateBasedStatement?: {
    limit: number;
    evaluationWindowSec: number;
    aggregateKeyType: 'IP' | 'FORWARDED_IP' | 'CUSTOM_KEYS' | 'CONSTANT';
    forwardedIPConfig?: z.infer<typeof forwardedIpConfig> | undefined;
    customKeys?: z.infer<typeof customKey>[] | undefined;
    scopeDownStatement?: StatementConfig | undefined;
  };
  managedRuleGroupStatement?: {
    vendorName: string;
    name: string;
    sensitivityLevel: 'LOW' | 'HIGH';
    excludedRules?: { name: string }[] | undefined;
    ruleActionOverrides?: { name: string; actionToUse: RuleActionConfig }[] | undefined;
    scopeDownStatement?: StatementConfig | undefined;
  };
  andStatement?: { statements: StatementConfig[] };
  orStatement?: { statements: StatementConfig[] };
  notStatement?: { statement: StatementConfig };
}

export const STATEMENT_TYPES = [
  'byteMatchStatement', 'regexMatchStatement', 'regexPatternSetReferenceStatement', 'sizeConstraintStatement',
  'sqliMatchStatement', 'xssMatchStatement', 'ipSetReferenceStatement', 'geoMatchStatement', 'labelMatchStatement',
  'rateBasedStatement', 'managedRuleGroupStatement', 'andStatement', 'orStatement', 'notStatement',
] as const;

export const statementSchema: z.ZodType<StatementConfig> = z
    .strictObject({
      byteMatchStatement: z
        .strictObject({
          searchString: z.string().min(1).max(8192).describe('The string to look for (after transformations).'),
          fieldToMatch: fieldToMatchSchema,
          textTransformations,
          positionalConstraint: z.enum(['EXACTLY', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'CONTAINS_WORD']).describe('Where the string must be.'),
        })
        .optional()
        .describe('Matches a string in a part of the request.'),
      regexMatchStatement: z
        .strictObject({
          regexString: z.string().min(1).max(512).describe('A regular expression, RE2 syntax (linear time: no backreferences or lookaround).'),
          fieldToMatch: fieldToMatchSchema,
          textTransformations,
        })
        .optional()
        .describe('Matches a regular expression.'),
      regexPatternSetReferenceStatement: z
        .strictObject({
          name: aclName.optional().describe('A set under wafRegexPatternSets.'),
          regexList: z.array(z.string().min(1).max(512)).optional().describe('Inline patterns (RE2 syntax).'),
          fieldToMatch: fieldToMatchSchema,
          textTransformations,
        })
        .optional()
        .describe('Matches any of a set of regular expressions.'),
      sizeConstraintStatement: z
        .strictObject({
          fieldToMatch: fieldToMatchSchema,
          comparisonOperator: z.enum(['EQ', 'NE', 'LE', 'LT', 'GE', 'GT']).describe('size(field) OP size.'),
          size: z.number().int().min(0).max(21474836480).describe('Bytes (characters of the URI path/query/header).'),
          textTransformations,
        })
        .optional()
        .describe('Compares the size of a part of the request.'),
      sqliMatchStatement: z
        .strictObject({ fieldToMatch: fieldToMatchSchema, textTransformations, sensitivityLevel: sensitivity })
        .optional()
        .describe('Detects SQL injection (tokenizer, libinjection-style).'),
      xssMatchStatement: z
        .strictObject({ fieldToMatch: fieldToMatchSchema, textTransformations, sensitivityLevel: sensitivity })
        .optional()
        .describe('Detects cross-site scripting (HTML tokenizer, libinjection-style).'),
      ipSetReferenceStatement: z
        .strictObject({
          name: aclName.optional().describe('A set under wafIpSets.'),
          addresses: z.array(cidr).optional().describe('Inline addresses / CIDR ranges (v4 and v6).'),
          ipSetForwardedIPConfig: ipSetForwardedIpConfig.optional(),
        })
        .optional()
        .describe('Matches the client IP against a set.'),
      geoMatchStatement: z
        .strictObject({
          countryCodes: z.array(z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 code such as DE')).min(1).describe('Countries.'),
          forwardedIPConfig: forwardedIpConfig.optional(),
        })
        .optional()
        .describe('Matches the client IP\'s country, from wafGeoDatabase (a MaxMind DB). Never matches without one.'),
      labelMatchStatement: z
        .strictObject({
          scope: z.enum(['LABEL', 'NAMESPACE']).describe('Match one label, or any label in a namespace.'),
          key: labelName.describe('Label name (full or its trailing part), or namespace ending in ":".'),
        })
        .optional()
        .describe('Matches labels added by rules evaluated earlier.'),
      get rateBasedStatement() {
        return z
        .strictObject({
          limit: z.number().int().min(10).max(2000000000).describe('Requests per key per window before the rule matches (AWS minimum 10).'),
          evaluationWindowSec: z
            .union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)])
            .default(300)
            .describe('Window in seconds: 60, 120, 300 (default) or 600.'),
          aggregateKeyType: z.enum(['IP', 'FORWARDED_IP', 'CUSTOM_KEYS', 'CONSTANT']).default('IP').describe('What requests are counted by.'),
          forwardedIPConfig: forwardedIpConfig.optional(),
          customKeys: z.array(customKey).min(1).max(5).optional().describe('Key parts for CUSTOM_KEYS.'),
          scopeDownStatement: statementSchema.optional().describe('Count only requests this statement matches.'),
        })
        .optional()
        .describe('Matches while a key\'s request rate is over the limit.');
      },
      get managedRuleGroupStatement() {
        return z
        .strictObject({
          vendorName: z.string().default('Portico').describe('"Portico" (AWS vendor names are accepted for the groups we mirror).'),
          name: z.string().min(1).describe('PorticoSQLiRuleSet, PorticoXSSRuleSet or PorticoKnownBadInputsRuleSet (or the AWS names they mirror).'),
          sensitivityLevel: sensitivity,
          excludedRules: z.array(z.strictObject({ name: z.string().min(1) })).optional().describe('Rules set to count (AWS\'s older form).'),
          ruleActionOverrides: z.array(ruleActionOverride).optional().describe('Per-rule action overrides.'),
          scopeDownStatement: statementSchema.optional().describe('Evaluate the group only for requests this matches.'),
        })
        .optional()
        .describe('A rule group we maintain.');
      },
      get andStatement() {
        return z
          .strictObject({ statements: z.array(statementSchema).min(2, 'expected at least two statements').describe('All must match.') })
          .optional()
          .describe('Logical AND.');
      },
      get orStatement() {
        return z
          .strictObject({ statements: z.array(statementSchema).min(2, 'expected at least two statements').describe('Any must match.') })
          .optional()
          .describe('Logical OR.');
      },
      get notStatement() {
        return z.strictObject({ statement: statementSchema.describe('The statement to negate.') }).optional().describe('Logical NOT.');
      },
    })
    .refine((s) => Object.values(s).filter((v) => v !== undefined).length === 1, `expected exactly one statement type: ${STATEMENT_TYPES.join(', ')}`)
    .describe('A rule statement (AWS Statement).');

const ruleSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected a rule name of letters, digits, "_", ".", ":" or "-"').describe('Rule name (unique in the ACL); recorded in ctx.waf.ruleIds.'),
    priority: z.number().int().min(0).describe('Evaluation order, lowest first; unique in the ACL.'),
    statement: statementSchema,
    action: ruleActionSchema.optional().describe('For rules other than rule groups.'),
    overrideAction: z
      .strictObject({ none: empty.optional(), count: empty.optional() })
      .optional()
      .describe('For managed rule groups: none (the group\'s own actions) or count (every block becomes count).'),
    ruleLabels: z.array(z.strictObject({ name: labelName })).default([]).describe('Labels added to the request when the rule matches.'),
    visibilityConfig: z.unknown().optional().describe('Accepted for AWS compatibility; metrics are always per rule.'),
  })
  .describe('One rule.');

export const webAclSchema = z
  .strictObject({
    defaultAction: z
      .strictObject({
        allow: z.strictObject({ customRequestHandling: z.unknown().optional() }).optional(),
        block: z.strictObject({ customResponse: customResponse.optional() }).optional(),
      })
      .refine((a) => (a.allow === undefined) !== (a.block === undefined), 'expected exactly one of allow, block')
      .prefault({ allow: {} })
      .describe('What happens when no rule terminates: allow (default) or block.'),
    rules: z.array(ruleSchema).default([]).describe('Rules, evaluated by priority.'),
    customResponseBodies: z
      .record(
        z.string().min(1),
        z.strictObject({
          contentType: z.enum(['TEXT_PLAIN', 'TEXT_HTML', 'APPLICATION_JSON']).describe('Content type.'),
          content: z.string().max(4096).describe('Body.'),
        }),
      )
      .default({})
      .describe('Bodies that customResponse.customResponseBodyKey refers to.'),
    bodyInspectionLimitKb: z
      .union([z.literal(8), z.literal(16), z.literal(32), z.literal(48), z.literal(64)])
      .default(16)
      .describe('How much of the body body/jsonBody rules inspect, in KB (AWS for API Gateway: 16 default, up to 64).'),
    visibilityConfig: z.unknown().optional().describe('Accepted for AWS compatibility.'),
  })
  .describe('A web ACL (AWS WebACL).');

/** apis[].waf and stages.X.waf: a named ACL, an inline one, or false to turn the API's off for a stage. */
const wafRef = z
  .union([aclName.describe('Name of an ACL under wafAcls.'), webAclSchema, z.literal(false).describe('No WAF for this stage.')])
  .describe('The web ACL: a name under wafAcls, an inline ACL, or false (stages only) for none.');

export const wafApiFields = {
  waf: wafRef.optional().describe('Web ACL for every stage of this API (a stage may set its own).'),
};
export const wafStageFields = {
  waf: wafRef.optional().describe('Web ACL for this stage, instead of the API\'s (false = none).'),
};
export const wafRootFields = {
  wafAcls: z.record(aclName, webAclSchema).default({}).describe('Named web ACLs, used by apis[].waf / stages.X.waf.'),
  wafIpSets: z
    .record(aclName, z.strictObject({ addresses: z.array(cidr).describe('Addresses / CIDR ranges, v4 and v6.') }))
    .default({})
    .describe('Named IP sets (AWS IPSet) for ipSetReferenceStatement.'),
  wafRegexPatternSets: z
    .record(aclName, z.strictObject({ regularExpressionList: z.array(z.strictObject({ regexString: z.string().min(1).max(512) })) }))
    .default({})
    .describe('Named regex pattern sets (AWS RegexPatternSet) for regexPatternSetReferenceStatement.'),
  wafGeoDatabase: z.string().optional().describe('Path of a MaxMind country/city database (.mmdb) for geoMatchStatement; relative to the config file.'),
};

export type WebAclConfig = z.infer<typeof webAclSchema>;
export type RuleConfig = WebAclConfig['rules'][number];
export type RuleActionConfig = z.infer<typeof ruleActionSchema>;
export type FieldToMatch = z.infer<typeof fieldToMatchSchema>;
export type TextTransformationConfig = z.infer<typeof textTransformations>[number];
export type WafRef = z.infer<typeof wafRef>;

/** The WAF's config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const WAF_CONFIG = { root: wafRootFields, api: wafApiFields, stage: wafStageFields } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface RootFeatureFields extends Fields<typeof wafRootFields> {}
  interface ApiFeatureFields extends Fields<typeof wafApiFields> {}
  interface StageFeatureFields extends Fields<typeof wafStageFields> {}
}
