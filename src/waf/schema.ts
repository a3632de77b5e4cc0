/**
 * WAF config: AWS WAFv2's JSON rule model with every key's first letter lower-cased (our YAML
 * convention), so `DefaultAction.Block.CustomResponse.ResponseCode` is
 * `defaultAction.block.customResponse.responseCode`. fromWafv2Json (aws-import.ts) does the mapping
 * and the few renames (ARNs → names). docs/waf.md has the table.
 */
import type { ConfigFragment } from '../kernel/manifest.js';
import { cidr, type Fields } from '../config/schema.js';
import { z } from 'zod';

import { aclName, customResponse, labelName, ruleActionSchema, statementSchema } from './statement-schema.js';
import { empty } from './field-schema.js';

const ruleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected a rule name of letters, digits, "_", ".", ":" or "-"')
      .describe('Rule name (unique in the ACL); recorded in ctx.waf.ruleIds.'),
    priority: z.number().int().min(0).describe('Evaluation order, lowest first; unique in the ACL.'),
    statement: statementSchema,
    action: ruleActionSchema.optional().describe('For rules other than rule groups.'),
    overrideAction: z
      .strictObject({ none: empty.optional(), count: empty.optional() })
      .optional()
      .describe("For managed rule groups: none (the group's own actions) or count (every block becomes count)."),
    ruleLabels: z
      .array(z.strictObject({ name: labelName }))
      .default([])
      .describe('Labels added to the request when the rule matches.'),
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
  .union([
    aclName.describe('Name of an ACL under wafAcls.'),
    webAclSchema,
    z.literal(false).describe('No WAF for this stage.'),
  ])
  .describe('The web ACL: a name under wafAcls, an inline ACL, or false (stages only) for none.');

export const wafApiFields = {
  waf: wafRef.optional().describe('Web ACL for every stage of this API (a stage may set its own).'),
};
export const wafStageFields = {
  waf: wafRef.optional().describe("Web ACL for this stage, instead of the API's (false = none)."),
};
export const wafRootFields = {
  wafAcls: z.record(aclName, webAclSchema).default({}).describe('Named web ACLs, used by apis[].waf / stages.X.waf.'),
  wafIpSets: z
    .record(aclName, z.strictObject({ addresses: z.array(cidr).describe('Addresses / CIDR ranges, v4 and v6.') }))
    .default({})
    .describe('Named IP sets (AWS IPSet) for ipSetReferenceStatement.'),
  wafRegexPatternSets: z
    .record(
      aclName,
      z.strictObject({ regularExpressionList: z.array(z.strictObject({ regexString: z.string().min(1).max(512) })) }),
    )
    .default({})
    .describe('Named regex pattern sets (AWS RegexPatternSet) for regexPatternSetReferenceStatement.'),
  wafGeoDatabase: z
    .string()
    .optional()
    .describe('Path of a MaxMind country/city database (.mmdb) for geoMatchStatement; relative to the config file.'),
};

export type WebAclConfig = z.infer<typeof webAclSchema>;
export type RuleConfig = WebAclConfig['rules'][number];
export type WafRef = z.infer<typeof wafRef>;

/** The WAF's config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const WAF_CONFIG = { root: wafRootFields, api: wafApiFields, stage: wafStageFields } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface RootFeatureFields extends Fields<typeof wafRootFields> {}
  interface ApiFeatureFields extends Fields<typeof wafApiFields> {}
  interface StageFeatureFields extends Fields<typeof wafStageFields> {}
}
