/**
 * AWS WAFv2 WebACL JSON (the API's / CloudFormation's PascalCase) → our web ACL config. A pure
 * function for `portico import cloudformation` (AWS::WAFv2::WebACL) and for users pasting
 * `aws wafv2 get-web-acl` output. The mapping is mechanical — every key's first letter lower-cased —
 * plus the renames in KEY_RENAMES, ARNs turned into set names, and the managed groups we mirror.
 * docs/waf.md has the table.
 */
import { findManagedGroup } from './managed.js';
import { TEXT_TRANSFORMATION_TYPES } from './transforms.js';

export interface Wafv2ImportReport {
  /** Managed rule groups we do not mirror, by name (their rules were dropped). */
  unsupportedManagedGroups: string[];
  /** Everything else not carried over, with where it was (JSON-ish path) and why. */
  notes: string[];
}

export interface Wafv2ImportOptions {
  /** IP set / regex pattern set ARN → the name to use under wafIpSets / wafRegexPatternSets. Default: the name in the ARN. */
  setNames?: Readonly<Record<string, string>>;
}

/** Keys whose camelCase is not just the first letter lower-cased. */
const KEY_RENAMES: Readonly<Record<string, string>> = {
  IPSetReferenceStatement: 'ipSetReferenceStatement',
  IPSetForwardedIPConfig: 'ipSetForwardedIPConfig',
  IP: 'ip',
  HTTPMethod: 'httpMethod',
};

/** WebACL keys that have no meaning for Portico (identity, billing, bot control tokens). */
const IGNORED_ACL_KEYS = new Set([
  'Name',
  'Id',
  'ARN',
  'Arn',
  'Description',
  'Capacity',
  'LockToken',
  'ManagedByFirewallManager',
  'LabelNamespace',
  'TokenDomains',
  'CaptchaConfig',
  'ChallengeConfig',
  'PreProcessFirewallManagerRuleGroups',
  'PostProcessFirewallManagerRuleGroups',
  'RetrofittedByFirewallManager',
  'Scope',
  'Tags',
  'DataProtectionConfig',
]);
const UNSUPPORTED_STATEMENTS = new Set(['RuleGroupReferenceStatement', 'AsnMatchStatement']);
const UNSUPPORTED_FIELDS = new Set(['JA3Fingerprint', 'JA4Fingerprint', 'HeaderOrder', 'UriFragment']);
const LIMIT_KB: Readonly<Record<string, number>> = { KB_8: 8, KB_16: 16, KB_32: 32, KB_48: 48, KB_64: 64 };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function camel(k: string): string {
  return KEY_RENAMES[k] ?? k.charAt(0).toLowerCase() + k.slice(1);
}

/** Name part of an ARN such as arn:aws:wafv2:us-east-1:123:regional/ipset/office/abcd → office. */
function nameFromArn(arn: string): string {
  const parts = arn.split('/');
  return parts.length >= 3 ? (parts[parts.length - 2] as string) : arn;
}

class Unsupported extends Error {}

/** Converts WAFv2 JSON (PascalCase) to our form, collecting what it could not map. */
class Wafv2Converter {
  readonly report: Wafv2ImportReport = { unsupportedManagedGroups: [], notes: [] };

  constructor(private readonly opts: Wafv2ImportOptions) {}

  private setName(arn: string): string {
    return this.opts.setNames?.[arn] ?? nameFromArn(arn);
  }

  convert(v: Json, path: string): Json {
    if (Array.isArray(v)) return v.map((x, i) => this.convert(x, `${path}[${i}]`));
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = `${path}.${k}`;
      if (UNSUPPORTED_STATEMENTS.has(k) || UNSUPPORTED_FIELDS.has(k))
        throw new Unsupported(`${p}: ${k} is not supported`);
      if (k === 'ARN' || k === 'Arn') {
        out.name = this.setName(String(x));
        continue;
      }
      if (k === 'SearchStringBase64') {
        out.searchString = Buffer.from(String(x), 'base64').toString('utf8');
        continue;
      }
      if (k === 'ManagedRuleGroupStatement') {
        out.managedRuleGroupStatement = this.managed(x as Record<string, Json>, p);
        continue;
      }
      if (k === 'Captcha' || k === 'Challenge') {
        this.report.notes.push(`${p}: ${k} actions are not supported; the rule counts instead`);
        out.count = {};
        continue;
      }
      if (k === 'TextTransformations' && Array.isArray(x)) {
        out.textTransformations = (x as Record<string, Json>[])
          .filter((t, i) => {
            if ((TEXT_TRANSFORMATION_TYPES as readonly string[]).includes(String(t.Type))) return true;
            this.report.notes.push(`${p}[${i}]: transformation ${String(t.Type)} is not supported; left out`);
            return false;
          })
          .map((t) => ({ priority: t.Priority ?? 0, type: t.Type ?? 'NONE' }));
        if ((out.textTransformations as Json[]).length === 0) out.textTransformations = [{ priority: 0, type: 'NONE' }];
        continue;
      }
      if (k === 'CustomRequestHandling') {
        this.report.notes.push(`${p}: custom request headers are not added`);
        continue;
      }
      out[camel(k)] = this.convert(x, p);
    }
    return out;
  }

  private managed(m: Record<string, Json>, path: string): Json {
    const vendor = String(m.VendorName ?? '');
    const name = String(m.Name ?? '');
    const group = findManagedGroup(vendor === 'AWS' ? 'AWS' : vendor, name);
    if (!group) {
      this.report.unsupportedManagedGroups.push(`${vendor}/${name}`);
      throw new Unsupported(`${path}: managed rule group ${vendor}/${name} is not mirrored`);
    }
    if (name === 'AWSManagedRulesCommonRuleSet')
      this.report.notes.push(`${path}: only the cross-site scripting rules of ${name} are mirrored (${group.name})`);
    for (const k of ['Version', 'ManagedRuleGroupConfigs']) if (k in m) this.report.notes.push(`${path}.${k}: ignored`);
    const known = new Set(
      group
        .build('LOW', {
          issue: () => undefined,
          ipSets: {},
          regexSets: {},
          geo: undefined,
          counters: () => ({ hit: () => 0 }),
          rateScope: '',
        })
        .map((r) => r.name),
    );
    const keepRule = (list: Json | undefined, what: string) =>
      ((list as Record<string, Json>[] | undefined) ?? []).filter((o, i) => {
        if (known.has(String(o.Name))) return true;
        this.report.notes.push(`${path}.${what}[${i}]: rule ${String(o.Name)} is not in ${group.name}; dropped`);
        return false;
      });
    const out: Record<string, Json> = { vendorName: 'Portico', name: group.name };
    const overrides = keepRule(m.RuleActionOverrides, 'RuleActionOverrides');
    if (overrides.length) out.ruleActionOverrides = this.convert(overrides, `${path}.RuleActionOverrides`);
    const excluded = keepRule(m.ExcludedRules, 'ExcludedRules');
    if (excluded.length) out.excludedRules = this.convert(excluded, `${path}.ExcludedRules`);
    if (m.ScopeDownStatement) out.scopeDownStatement = this.convert(m.ScopeDownStatement, `${path}.ScopeDownStatement`);
    return out;
  }
}

/**
 * Maps a WebACL (the object itself, `{ WebACL: … }` from get-web-acl, or CloudFormation Properties).
 * @example fromWafv2Json(JSON.parse(await readFile('acl.json', 'utf8'))).acl
 */
export function fromWafv2Json(
  input: unknown,
  opts: Wafv2ImportOptions = {},
): { acl: Record<string, unknown>; report: Wafv2ImportReport } {
  let src = input as Record<string, Json>;
  if (src && typeof src === 'object' && 'WebACL' in src) src = src.WebACL as Record<string, Json>;
  if (!src || typeof src !== 'object' || Array.isArray(src)) throw new TypeError('expected a WebACL JSON object');
  const converter = new Wafv2Converter(opts);
  const report = converter.report;
  const convert = (v: Json, path: string): Json => converter.convert(v, path);

  const acl: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (IGNORED_ACL_KEYS.has(k)) continue;
    if (k === 'Rules') {
      acl.rules = (v as Json[]).flatMap((rule, i) => {
        try {
          return [convert(rule, `Rules[${i}]`)];
        } catch (err) {
          if (!(err instanceof Unsupported)) throw err;
          report.notes.push(`${err.message}; rule ${String((rule as Record<string, Json>).Name)} dropped`);
          return [];
        }
      });
      continue;
    }
    if (k === 'CustomResponseBodies') {
      // The keys are the user's names: keep them as they are.
      acl.customResponseBodies = Object.fromEntries(
        Object.entries(v as Record<string, Json>).map(([name, b]) => [
          name,
          convert(b, `CustomResponseBodies.${name}`),
        ]),
      );
      continue;
    }
    if (k === 'AssociationConfig') {
      const rb = (v as { RequestBody?: Record<string, { DefaultSizeInspectionLimit?: string }> }).RequestBody ?? {};
      const limit = rb.API_GATEWAY?.DefaultSizeInspectionLimit ?? Object.values(rb)[0]?.DefaultSizeInspectionLimit;
      if (limit && LIMIT_KB[limit]) acl.bodyInspectionLimitKb = LIMIT_KB[limit];
      continue;
    }
    if (k === 'DefaultAction' || k === 'VisibilityConfig') {
      acl[camel(k)] = convert(v, k);
      continue;
    }
    report.notes.push(`${k}: ignored`);
  }
  report.unsupportedManagedGroups = [...new Set(report.unsupportedManagedGroups)];
  return { acl, report };
}
