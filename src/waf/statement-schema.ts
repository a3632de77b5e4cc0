// The building blocks of a web ACL's config: what a rule inspects (fieldToMatch, text transformations)
// and its statements (AWS WAFv2's statement types). The ACL, its rules and the config fields are in ./schema.ts.
import { z } from 'zod';
import { cidr } from '../config/schema.js';
import { empty, fieldToMatchSchema, headerName, textTransformations } from './field-schema.js';

import type { FieldToMatch, TextTransformationConfig } from './field-schema.js';

export const aclName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a name of letters, digits, "_", "." or "-" (max 128)');
export const labelName = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,1024}$/, 'expected a label of letters, digits, "_", ".", "-" and ":" namespaces');
const forwardedIpConfig = z
  .strictObject({
    headerName: headerName.describe('Header holding the client IP, e.g. X-Forwarded-For.'),
    fallbackBehavior: z.enum(['MATCH', 'NO_MATCH']).describe('When the header is missing or not an IP.'),
  })
  .describe('Take the IP from this header instead of the connection (after trusted proxies).');

const ipSetForwardedIpConfig = forwardedIpConfig
  .extend({
    position: z
      .enum(['FIRST', 'LAST', 'ANY'])
      .default('FIRST')
      .describe('Which address of a list to use (ANY: any of them).'),
  })
  .describe('Take the IP from this header instead of the connection.');

const sensitivity = z
  .enum(['LOW', 'HIGH'])
  .default('LOW')
  .describe('LOW (AWS default): few false positives. HIGH: more detection, more false positives.');

const customKey = z
  .strictObject({
    ip: empty.optional().describe('The client IP.'),
    forwardedIP: empty.optional().describe('The IP from forwardedIPConfig.'),
    httpMethod: empty.optional().describe('The method.'),
    uriPath: z.strictObject({ textTransformations }).optional().describe('The path.'),
    header: z.strictObject({ name: headerName, textTransformations }).optional().describe('A header value.'),
    queryArgument: z
      .strictObject({ name: z.string().min(1), textTransformations })
      .optional()
      .describe('A query argument value.'),
    queryString: z.strictObject({ textTransformations }).optional().describe('The query string.'),
    cookie: z
      .strictObject({ name: z.string().min(1), textTransformations })
      .optional()
      .describe('A cookie value.'),
    labelNamespace: z
      .strictObject({ namespace: labelName })
      .optional()
      .describe('Labels of this namespace on the request.'),
  })
  .refine(
    (f) => Object.values(f).filter((v) => v !== undefined).length === 1,
    'expected exactly one key part, e.g. { ip: {} }',
  )
  .describe('One part of a CUSTOM_KEYS aggregation key.');

export const customResponse = z
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
    allow: z
      .strictObject({ customRequestHandling: z.unknown().optional() })
      .optional()
      .describe('Let the request through (terminating).'),
    block: z
      .strictObject({ customResponse: customResponse.optional() })
      .optional()
      .describe('Answer 403 WAF_FILTERED or the custom response (terminating).'),
    count: z
      .strictObject({ customRequestHandling: z.unknown().optional() })
      .optional()
      .describe('Record the match and its labels, go on.'),
  })
  .refine(
    (a) => Object.values(a).filter((v) => v !== undefined).length === 1,
    'expected exactly one of allow, block, count',
  )
  .describe('What a matching rule does.');

const ruleActionOverride = z.strictObject({
  name: z.string().min(1).describe('Rule name inside the group, e.g. SQLi_QUERYARGUMENTS.'),
  actionToUse: ruleActionSchema.describe("The action to use instead of the rule's own (e.g. { count: {} })."),
});

export interface StatementConfig {
  byteMatchStatement?: {
    searchString: string;
    fieldToMatch: FieldToMatch;
    textTransformations: TextTransformationConfig[];
    positionalConstraint: 'EXACTLY' | 'STARTS_WITH' | 'ENDS_WITH' | 'CONTAINS' | 'CONTAINS_WORD';
  };
  regexMatchStatement?: {
    regexString: string;
    fieldToMatch: FieldToMatch;
    textTransformations: TextTransformationConfig[];
  };
  regexPatternSetReferenceStatement?: {
    name?: string | undefined;
    regexList?: string[] | undefined;
    fieldToMatch: FieldToMatch;
    textTransformations: TextTransformationConfig[];
  };
  sizeConstraintStatement?: {
    fieldToMatch: FieldToMatch;
    comparisonOperator: 'EQ' | 'NE' | 'LE' | 'LT' | 'GE' | 'GT';
    size: number;
    textTransformations: TextTransformationConfig[];
  };
  sqliMatchStatement?: {
    fieldToMatch: FieldToMatch;
    textTransformations: TextTransformationConfig[];
    sensitivityLevel: 'LOW' | 'HIGH';
  };
  xssMatchStatement?: {
    fieldToMatch: FieldToMatch;
    textTransformations: TextTransformationConfig[];
    sensitivityLevel: 'LOW' | 'HIGH';
  };
  ipSetReferenceStatement?: {
    name?: string | undefined;
    addresses?: string[] | undefined;
    ipSetForwardedIPConfig?: z.infer<typeof ipSetForwardedIpConfig> | undefined;
  };
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
  'byteMatchStatement',
  'regexMatchStatement',
  'regexPatternSetReferenceStatement',
  'sizeConstraintStatement',
  'sqliMatchStatement',
  'xssMatchStatement',
  'ipSetReferenceStatement',
  'geoMatchStatement',
  'labelMatchStatement',
  'rateBasedStatement',
  'managedRuleGroupStatement',
  'andStatement',
  'orStatement',
  'notStatement',
] as const;

export const statementSchema: z.ZodType<StatementConfig> = z
  .strictObject({
    byteMatchStatement: z
      .strictObject({
        searchString: z.string().min(1).max(8192).describe('The string to look for (after transformations).'),
        fieldToMatch: fieldToMatchSchema,
        textTransformations,
        positionalConstraint: z
          .enum(['EXACTLY', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'CONTAINS_WORD'])
          .describe('Where the string must be.'),
      })
      .optional()
      .describe('Matches a string in a part of the request.'),
    regexMatchStatement: z
      .strictObject({
        regexString: z
          .string()
          .min(1)
          .max(512)
          .describe('A regular expression, RE2 syntax (linear time: no backreferences or lookaround).'),
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
        countryCodes: z
          .array(z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 code such as DE'))
          .min(1)
          .describe('Countries.'),
        forwardedIPConfig: forwardedIpConfig.optional(),
      })
      .optional()
      .describe("Matches the client IP's country, from wafGeoDatabase (a MaxMind DB). Never matches without one."),
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
          limit: z
            .number()
            .int()
            .min(10)
            .max(2000000000)
            .describe('Requests per key per window before the rule matches (AWS minimum 10).'),
          evaluationWindowSec: z
            .union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)])
            .default(300)
            .describe('Window in seconds: 60, 120, 300 (default) or 600.'),
          aggregateKeyType: z
            .enum(['IP', 'FORWARDED_IP', 'CUSTOM_KEYS', 'CONSTANT'])
            .default('IP')
            .describe('What requests are counted by.'),
          forwardedIPConfig: forwardedIpConfig.optional(),
          customKeys: z.array(customKey).min(1).max(5).optional().describe('Key parts for CUSTOM_KEYS.'),
          scopeDownStatement: statementSchema.optional().describe('Count only requests this statement matches.'),
        })
        .optional()
        .describe("Matches while a key's request rate is over the limit.");
    },
    get managedRuleGroupStatement() {
      return z
        .strictObject({
          vendorName: z
            .string()
            .default('Portico')
            .describe('"Portico" (AWS vendor names are accepted for the groups we mirror).'),
          name: z
            .string()
            .min(1)
            .describe(
              'PorticoSQLiRuleSet, PorticoXSSRuleSet or PorticoKnownBadInputsRuleSet (or the AWS names they mirror).',
            ),
          sensitivityLevel: sensitivity,
          excludedRules: z
            .array(z.strictObject({ name: z.string().min(1) }))
            .optional()
            .describe("Rules set to count (AWS's older form)."),
          ruleActionOverrides: z.array(ruleActionOverride).optional().describe('Per-rule action overrides.'),
          scopeDownStatement: statementSchema.optional().describe('Evaluate the group only for requests this matches.'),
        })
        .optional()
        .describe('A rule group we maintain.');
    },
    get andStatement() {
      return z
        .strictObject({
          statements: z.array(statementSchema).min(2, 'expected at least two statements').describe('All must match.'),
        })
        .optional()
        .describe('Logical AND.');
    },
    get orStatement() {
      return z
        .strictObject({
          statements: z.array(statementSchema).min(2, 'expected at least two statements').describe('Any must match.'),
        })
        .optional()
        .describe('Logical OR.');
    },
    get notStatement() {
      return z
        .strictObject({ statement: statementSchema.describe('The statement to negate.') })
        .optional()
        .describe('Logical NOT.');
    },
  })
  .refine(
    (s) => Object.values(s).filter((v) => v !== undefined).length === 1,
    `expected exactly one statement type: ${STATEMENT_TYPES.join(', ')}`,
  )
  .describe('A rule statement (AWS Statement).');

export type RuleActionConfig = z.infer<typeof ruleActionSchema>;
