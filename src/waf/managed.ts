/**
 * The managed rule groups we maintain. Rule names follow the AWS managed groups they mirror, so an
 * imported `ruleActionOverrides` entry keeps working. Most rules are ordinary statements compiled
 * by statements.ts; the shell-metacharacter rule is code.
 */
import { detectSqli, type Sensitivity } from './detect/sqli.js';
import { detectXss } from './detect/xss.js';
import { compileField } from './fields.js';
import { compileRegex, compileStatement, type CompileEnv, type Matcher } from './statements.js';
import type { WafRequest } from './request.js';
import type { StatementConfig } from './statement-schema.js';
import type { TextTransformationConfig } from './field-schema.js';
import { compileTransforms, urlDecode } from './transforms.js';

export interface ManagedRule {
  name: string;
  labels: string[];
  match: Matcher;
}

export interface ManagedGroupDef {
  /** Our name, e.g. PorticoSQLiRuleSet. */
  name: string;
  /** AWS managed group names this group stands in for (importer, vendorName AWS). */
  awsNames: string[];
  labelNamespace: string;
  build(sensitivity: Sensitivity, env: CompileEnv): ManagedRule[];
}

type Field = StatementConfig extends never ? never : NonNullable<StatementConfig['sqliMatchStatement']>['fieldToMatch'];
const tt = (...types: TextTransformationConfig['type'][]): TextTransformationConfig[] =>
  types.map((type, priority) => ({ priority, type }));

/** Decoding variants each value is tried in: as the gateway decoded it, then decoded again (double encoding). */
const SQLI_VARIANTS = [tt('NONE'), tt('URL_DECODE', 'HTML_ENTITY_DECODE')];
const XSS_VARIANTS = [
  tt('NONE'),
  tt('URL_DECODE', 'HTML_ENTITY_DECODE'),
  tt('URL_DECODE', 'URL_DECODE', 'HTML_ENTITY_DECODE', 'JS_DECODE'),
];

const FIELDS: [string, Field | { bodyParameters: Record<string, never> }][] = [
  ['QUERYARGUMENTS', { allQueryArguments: {} }],
  ['BODY', { bodyParameters: {} }],
  ['COOKIE', { cookies: { matchPattern: { all: {} }, matchScope: 'VALUE', oversizeHandling: 'CONTINUE' } }],
  ['URIPATH', { uriPath: {} }],
];

/**
 * One rule per field: every value is tried in each decoding variant (a variant that changes nothing
 * is not tried twice), behind a cheap character pre-filter: a value with none of the characters or
 * words an injection needs is skipped without tokenizing (most parameter values are).
 */
function detectorRules(
  prefix: string,
  detect: (v: string) => boolean,
  prefilter: RegExp,
  variants: TextTransformationConfig[][],
  ns: string,
): ManagedRule[] {
  const transforms = variants.map((v) => compileTransforms(v));
  const test = (raw: string): boolean => {
    if (raw.length < 2) return false;
    let last: string | undefined;
    for (const t of transforms) {
      const v = t ? t(raw) : raw;
      if (v === last) continue;
      last = v;
      if (prefilter.test(v) && detect(v)) return true;
    }
    return false;
  };
  return FIELDS.map(([suffix, field]) => {
    const values = compileField(field);
    const name = `${prefix}_${suffix}`;
    return {
      name,
      labels: [`${ns}:${name}`],
      match: (r: WafRequest) => {
        const vs = values(r);
        if (typeof vs === 'symbol') return true;
        for (const v of vs) if (test(v)) return true;
        return false;
      },
    };
  });
}

/** Characters or words without which a value cannot carry SQL injection. */
const SQLI_PREFILTER =
  /['"`;=()<>#*|&!^~@\\]|--|\/\*|%[0-9a-f]{2}|[\u2018\u2019\u00b4\u2032\u02bc\u2013\u2014]|\b(?:union|select|insert|update|delete|drop|exec|execute|declare|waitfor|having|order|group|and|or|xor|not|like|rlike|regexp|sounds|div|mod|is|in|case|procedure|into|from|alter|create|truncate|shutdown|sleep|benchmark|information_schema|sysibm|sysobjects|utl_http|dbms_\w+|values|as|begin|call|load|handler|collate)\b/i;
/** ... cross-site scripting. */
const XSS_PREFILTER = /[<>:=(`[{\\]|&#|&[a-z]{2,8};?|%[0-9a-f]{2}|\+ad[w4]-|[\uff1c\uff1e]/i;

/** A regex rule, run only when the raw field has one of the pre-filter's strings (plain or percent-encoded, any depth). */
function regexRule(
  name: string,
  ns: string,
  regex: string,
  fields: StatementConfig['regexMatchStatement'][],
  env: CompileEnv,
  prefilter: RegExp,
): ManagedRule {
  const subs = fields.map((f) =>
    compileStatement({ regexMatchStatement: { ...(f as NonNullable<typeof f>), regexString: regex } }, [], env),
  );
  const probe = fields.map((f) => compileField((f as NonNullable<typeof f>).fieldToMatch));
  return {
    name,
    labels: [`${ns}:${name}`],
    match: (r, st) =>
      probe.some((p) => {
        const vs = p(r);
        return typeof vs === 'symbol' || vs.some((v) => prefilter.test(v));
      }) && subs.some((m) => m(r, st)),
  };
}
const LOG4J_PREFILTER = /\$|%(?:25)*24/i;
const LFI_PREFILTER = /\.\.|%(?:25)*2e|\/etc\/|%(?:25)*2fetc|\\windows\\|%(?:25)*5c|\/proc\/|boot\.ini/i;
const PATHS_PREFILTER = /\/(?:\.|web-inf|meta-inf)|%(?:25)*2e/i;

const LOG4J = '\\$\\{(?:[^}]{0,40}\\$\\{)?[^}]{0,40}?(?:jndi|lower:|upper:|env:|sys:|java:|date:|::-|base64:)';
const LFI =
  '(?:^|[\\\\/=])\\.\\.(?:[\\\\/]|$)|/etc/(?:passwd|shadow|group|hosts)\\b|\\\\windows\\\\(?:system32|win\\.ini)|/proc/self/(?:environ|cmdline)|\\bboot\\.ini\\b';
const EXPLOITABLE_PATHS =
  '(?:^|/)(?:web-inf|meta-inf|\\.git|\\.svn|\\.hg|\\.env|\\.htaccess|\\.htpasswd|\\.aws|\\.ssh|\\.ds_store)(?:/|$)';
/** A shell metacharacter followed by a command, in any parameter. */
const SHELL_COMMAND =
  /(?:[;|&`\n]|\$\(|\|\|)\s*(?:\/(?:usr\/)?s?bin\/)?(?:cat|ls|id|whoami|wget|curl|nc|ncat|netcat|bash|sh|zsh|ping|uname|echo|rm|chmod|chown|python3?|perl|php|ruby|nslookup|dig|sleep|powershell|cmd(?:\.exe)?|ifconfig|ipconfig|net|telnet|ssh|scp|tftp|busybox|base64|awk|sed|find|xargs|env|printenv|passwd|kill|mkfifo|eval|exec)\b/;
/** Parameters commonly passed to a shell: any metacharacter in them is suspect. */
const COMMAND_PARAMS = new Set([
  'cmd',
  'exec',
  'command',
  'execute',
  'ping',
  'query',
  'jump',
  'code',
  'reg',
  'do',
  'func',
  'arg',
  'option',
  'load',
  'process',
  'step',
  'read',
  'function',
  'req',
  'feature',
  'exe',
  'module',
  'payload',
  'run',
  'print',
  'host',
  'ip',
  'daemon',
  'upload',
  'dir',
  'download',
  'log',
  'cli',
  'shell',
]);
const SHELL_META = /[;|`]|\$\(|&&|\$\{IFS\}/;

function shellMetaRule(ns: string): ManagedRule {
  const name = 'ShellMeta_QUERYARGUMENTS';
  const test = (k: string, v: string): boolean => {
    const d = urlDecode(v);
    return SHELL_COMMAND.test(d) || (COMMAND_PARAMS.has(k.toLowerCase()) && SHELL_META.test(d));
  };
  return { name, labels: [`${ns}:${name}`], match: (r: WafRequest) => r.queryArgs.some(([k, v]) => test(k, v)) };
}

export const MANAGED_GROUPS: readonly ManagedGroupDef[] = [
  {
    name: 'PorticoSQLiRuleSet',
    awsNames: ['AWSManagedRulesSQLiRuleSet'],
    labelNamespace: 'portico:managed:sql-database',
    build: (sens) =>
      detectorRules(
        'SQLi',
        (v) => detectSqli(v, sens).reason !== undefined,
        SQLI_PREFILTER,
        SQLI_VARIANTS,
        'portico:managed:sql-database',
      ),
  },
  {
    name: 'PorticoXSSRuleSet',
    awsNames: ['AWSManagedRulesCommonRuleSet'],
    labelNamespace: 'portico:managed:core-rule-set',
    build: (sens) =>
      detectorRules(
        'CrossSiteScripting',
        (v) => detectXss(v, sens) !== undefined,
        XSS_PREFILTER,
        XSS_VARIANTS,
        'portico:managed:core-rule-set',
      ),
  },
  {
    name: 'PorticoKnownBadInputsRuleSet',
    awsNames: ['AWSManagedRulesKnownBadInputsRuleSet'],
    labelNamespace: 'portico:managed:known-bad-inputs',
    build: (_sens, env) => {
      const ns = 'portico:managed:known-bad-inputs';
      const dec = tt('URL_DECODE', 'URL_DECODE', 'LOWERCASE');
      const f = (fieldToMatch: Field) => ({ fieldToMatch, textTransformations: dec, regexString: '' });
      const headers: Field = {
        headers: { matchPattern: { all: {} }, matchScope: 'VALUE', oversizeHandling: 'CONTINUE' },
      };
      const body: Field = { body: { oversizeHandling: 'CONTINUE' } };
      return [
        regexRule('Log4JRCE_QUERYSTRING', ns, LOG4J, [f({ queryString: {} })], env, LOG4J_PREFILTER),
        regexRule('Log4JRCE_HEADER', ns, LOG4J, [f(headers)], env, LOG4J_PREFILTER),
        regexRule('Log4JRCE_BODY', ns, LOG4J, [f(body)], env, LOG4J_PREFILTER),
        regexRule('Log4JRCE_URIPATH', ns, LOG4J, [f({ uriPath: {} })], env, LOG4J_PREFILTER),
        regexRule('GenericLFI_QUERYARGUMENTS', ns, LFI, [f({ allQueryArguments: {} })], env, LFI_PREFILTER),
        regexRule('GenericLFI_URIPATH', ns, LFI, [f({ uriPath: {} })], env, LFI_PREFILTER),
        regexRule('GenericLFI_BODY', ns, LFI, [f(body)], env, LFI_PREFILTER),
        regexRule('ExploitablePaths_URIPATH', ns, EXPLOITABLE_PATHS, [f({ uriPath: {} })], env, PATHS_PREFILTER),
        shellMetaRule(ns),
        { name: 'PROPFIND_METHOD', labels: [`${ns}:PROPFIND_METHOD`], match: (r) => r.method === 'PROPFIND' },
      ];
    },
  },
];

/** Finds a group by our name or the AWS name it mirrors. */
export function findManagedGroup(vendorName: string, name: string): ManagedGroupDef | undefined {
  return MANAGED_GROUPS.find((g) =>
    vendorName === 'AWS' ? g.awsNames.includes(name) : g.name === name || g.awsNames.includes(name),
  );
}

/** Compiles-once check that our regexes are valid RE2 (they are constants; a test calls it). */
export function checkManagedRegexes(): string[] {
  const problems: string[] = [];
  for (const r of [LOG4J, LFI, EXPLOITABLE_PATHS]) compileRegex(r, [], { issue: (_p, m) => problems.push(m) });
  return problems;
}
