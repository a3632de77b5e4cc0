import type { ApiBuild, Resource } from './cfn-scope.js';
import type { Json } from './json.js';
import { type ImportReport, pointer } from './report.js';
import { fromWafv2Json } from '../waf/aws-import.js';

/** Names usable under wafAcls / wafIpSets / wafRegexPatternSets. */
function wafName(name: unknown, fallback: string): string {
  const n =
    typeof name === 'string'
      ? name
          .replace(/[^A-Za-z0-9_-]+/g, '-')
          .replace(/^[^A-Za-z0-9]+|-+$/g, '')
          .slice(0, 128)
      : '';
  return n || fallback;
}

/**
 * IP sets and regex pattern sets become wafIpSets / wafRegexPatternSets, web ACLs wafAcls (through
 * the WAF's own fromWafv2Json), and a WebACLAssociation to a REST API stage sets that stage's `waf`.
 */
export function importWaf(
  byType: (t: string) => [string, Resource][],
  props: (id: string) => Json,
  resources: Record<string, Resource>,
  builds: ApiBuild[],
  report: ImportReport,
): Json {
  const out: Json = {};
  const setNames: Record<string, string> = {};
  const ipSets: Json = {};
  for (const [id] of byType('AWS::WAFv2::IPSet')) {
    const p = props(id);
    const name = wafName(p.Name, id);
    // Our evaluator gives GetAtt X.Arn as arn:aws:resource:::X; a real ARN names the set by its Name.
    setNames[`arn:aws:resource:::${id}`] = name;
    ipSets[name] = { addresses: Array.isArray(p.Addresses) ? p.Addresses.map(String) : [] };
  }
  const regexSets: Json = {};
  for (const [id] of byType('AWS::WAFv2::RegexPatternSet')) {
    const p = props(id);
    const name = wafName(p.Name, id);
    setNames[`arn:aws:resource:::${id}`] = name;
    const list = Array.isArray(p.RegularExpressionList) ? p.RegularExpressionList : [];
    regexSets[name] = { regularExpressionList: list.map((r) => ({ regexString: String(r) })) };
  }
  const acls: Json = {};
  const aclByArn = new Map<string, string>();
  for (const [id] of byType('AWS::WAFv2::WebACL')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const name = wafName(p.Name, id);
    try {
      const { acl, report: r } = fromWafv2Json(p, { setNames });
      acls[name] = acl;
      aclByArn.set(`arn:aws:resource:::${id}`, name);
      for (const g of r.unsupportedManagedGroups)
        report.unsupported(`${at}/Rules`, 'managed rule group', `${g} is not mirrored; its rules were left out`);
      for (const n of r.notes) report.approximated(`${at}/Rules`, 'WAF rule', n);
    } catch (err) {
      report.unsupported(at, 'AWS::WAFv2::WebACL', `${(err as Error).message}; web ACL left out`);
    }
  }
  for (const [id] of byType('AWS::WAFv2::WebACLAssociation')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const acl = aclByArn.get(String(p.WebACLArn));
    const m = /\/restapis\/([^/]+)\/stages\/([^/]+)$/.exec(String(p.ResourceArn));
    const build = m ? builds.find((b) => b.logical === m[1] && b.api.type === 'rest') : undefined;
    if (!acl || !m || !build) {
      report.unsupported(
        at,
        'AWS::WAFv2::WebACLAssociation',
        'only associations of a web ACL in this template with a REST API stage in this template are imported',
      );
      continue;
    }
    // Ref of an AWS::ApiGateway::Stage is its stage name; our evaluator gives its logical id.
    const stageRes = resources[m[2] as string];
    const stageName =
      stageRes?.Type === 'AWS::ApiGateway::Stage' ? String(props(m[2] as string).StageName) : (m[2] as string);
    const stage = build.stages[stageName];
    if (!stage) {
      report.unsupported(
        `${at}/ResourceArn`,
        'AWS::WAFv2::WebACLAssociation',
        `API ${build.logical} has no stage "${stageName}"`,
      );
      continue;
    }
    stage.waf = acl;
  }
  if (Object.keys(acls).length) out.wafAcls = acls;
  if (Object.keys(ipSets).length) out.wafIpSets = ipSets;
  if (Object.keys(regexSets).length) out.wafRegexPatternSets = regexSets;
  return out;
}
