/**
 * Compiles rule statements (AWS Statement JSON, camelCase) into plain functions at load. Per request a
 * statement is one call; transformations, regexes, IP lists and keys are all prepared here.
 */
import { BlockList, isIP } from 'node:net';
import { RE2JS } from 're2js';
import { blockListOf, parseCidr, type Cidr } from '../config/cidr.js';
import { detectSqli } from './detect/sqli.js';
import { detectXss } from './detect/xss.js';
import type { RateCounterStore } from './rate.js';
import type { WafRequest } from './request.js';
import type { StatementConfig } from './statement-schema.js';
import type { TextTransformationConfig } from './field-schema.js';
import { compileTransforms, type Transform } from './transforms.js';
import { compileField, FORCE, type FieldFn } from './fields.js';

/** Per-request evaluation state: the labels added so far (rules see earlier rules' labels). */
export interface EvalState {
  labels: string[];
  nowMs: number;
}

export type Matcher = (r: WafRequest, st: EvalState) => boolean;

/** Looks up a client IP's ISO country code (a MaxMind DB reader), if one is configured. */
export type GeoLookup = (ip: string) => string | undefined;

export interface CompileEnv {
  /** Reports a problem at a path relative to the statement. */
  issue(path: (string | number)[], message: string): void;
  ipSets: Readonly<Record<string, { addresses: string[] }>>;
  regexSets: Readonly<Record<string, { regularExpressionList: { regexString: string }[] }>>;
  geo: GeoLookup | undefined;
  /** Rate counters, looked up at first use (a service may provide them). */
  counters: () => RateCounterStore;
  /** Stable prefix for rate keys: "acl/rule". */
  rateScope: string;
}

function inspect(
  field: FieldFn,
  transforms: readonly TextTransformationConfig[],
  test: (v: string) => boolean,
): Matcher {
  const t: Transform | undefined = compileTransforms(transforms);
  return (r) => {
    const values = field(r);
    if (values === FORCE) return true;
    for (const v of values) if (test(t ? t(v) : v)) return true;
    return false;
  };
}

/** Compiles an RE2 regex (linear time, so no ReDoS); reports syntax errors and the constructs RE2 lacks. */
export function compileRegex(
  source: string,
  path: (string | number)[],
  env: Pick<CompileEnv, 'issue'>,
): ((s: string) => boolean) | undefined {
  try {
    const re = RE2JS.compile(source);
    return (s) => re.test(s);
  } catch (err) {
    env.issue(
      path,
      `invalid regular expression (RE2 syntax: no backreferences or lookaround): ${(err as Error).message}`,
    );
    return undefined;
  }
}

function ipList(addresses: readonly string[], path: (string | number)[], env: CompileEnv): BlockList {
  const parsed: Cidr[] = [];
  addresses.forEach((a, i) => {
    const c = parseCidr(a);
    if (typeof c === 'string') env.issue([...path, i], c);
    else parsed.push(c);
  });
  return blockListOf(parsed);
}

function inList(list: BlockList, ip: string): boolean {
  const fam = isIP(ip);
  if (fam === 0) return false;
  return list.check(ip, fam === 6 ? 'ipv6' : 'ipv4');
}

/** Addresses from a forwarded-IP header by position; [] when absent or invalid. */
function forwardedIps(r: WafRequest, header: string, position: 'FIRST' | 'LAST' | 'ANY'): string[] {
  const raw = r.headers[header.toLowerCase()];
  if (raw === undefined) return [];
  const all = (Array.isArray(raw) ? raw.join(',') : String(raw))
    .split(',')
    .map((s) => s.trim().replace(/^\[|\]$/g, ''))
    .filter((s) => s.length > 0);
  if (all.length === 0 || all.some((s) => isIP(s) === 0)) return [];
  if (position === 'FIRST') return [all[0] as string];
  if (position === 'LAST') return [all[all.length - 1] as string];
  return all;
}

/** Compiles a statement. Problems go to env.issue; the result is then unused (the config is rejected). */
export function compileStatement(s: StatementConfig, path: (string | number)[], env: CompileEnv): Matcher {
  const never: Matcher = () => false;
  if (s.byteMatchStatement) {
    const b = s.byteMatchStatement;
    const needle = b.searchString;
    const field = compileField(b.fieldToMatch);
    switch (b.positionalConstraint) {
      case 'EXACTLY':
        return inspect(field, b.textTransformations, (v) => v === needle);
      case 'STARTS_WITH':
        return inspect(field, b.textTransformations, (v) => v.startsWith(needle));
      case 'ENDS_WITH':
        return inspect(field, b.textTransformations, (v) => v.endsWith(needle));
      case 'CONTAINS':
        return inspect(field, b.textTransformations, (v) => v.includes(needle));
      case 'CONTAINS_WORD': {
        // AWS: the string must be bounded by non-word characters ([A-Za-z0-9_]) or the ends.
        const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
        return inspect(field, b.textTransformations, (v) => {
          for (let i = v.indexOf(needle); i !== -1; i = v.indexOf(needle, i + 1)) {
            const before = i === 0 ? -1 : v.charCodeAt(i - 1);
            const after = i + needle.length >= v.length ? -1 : v.charCodeAt(i + needle.length);
            if ((before === -1 || !isWord(before)) && (after === -1 || !isWord(after))) return true;
          }
          return false;
        });
      }
    }
  }
  if (s.regexMatchStatement) {
    const r = s.regexMatchStatement;
    const test = compileRegex(r.regexString, [...path, 'regexMatchStatement', 'regexString'], env);
    return test ? inspect(compileField(r.fieldToMatch), r.textTransformations, test) : never;
  }
  if (s.regexPatternSetReferenceStatement) {
    const r = s.regexPatternSetReferenceStatement;
    const p = [...path, 'regexPatternSetReferenceStatement'];
    let list: string[] = r.regexList ?? [];
    if ((r.name === undefined) === (r.regexList === undefined))
      env.issue(p, 'expected exactly one of "name" (a set under wafRegexPatternSets) or "regexList"');
    if (r.name !== undefined) {
      const set = env.regexSets[r.name];
      if (!set) env.issue([...p, 'name'], `unknown regex pattern set "${r.name}"; define it under wafRegexPatternSets`);
      list = set ? set.regularExpressionList.map((x) => x.regexString) : [];
    }
    const tests = list
      .map((x, i) => compileRegex(x, [...p, r.name ? 'name' : 'regexList', ...(r.name ? [] : [i])], env))
      .filter((t) => t !== undefined);
    return inspect(compileField(r.fieldToMatch), r.textTransformations, (v) => tests.some((t) => t(v)));
  }
  if (s.sizeConstraintStatement) {
    const c = s.sizeConstraintStatement;
    const size = c.size;
    const cmp: (n: number) => boolean = {
      EQ: (n: number) => n === size,
      NE: (n: number) => n !== size,
      LE: (n: number) => n <= size,
      LT: (n: number) => n < size,
      GE: (n: number) => n >= size,
      GT: (n: number) => n > size,
    }[c.comparisonOperator];
    if (c.fieldToMatch.body || c.fieldToMatch.jsonBody) {
      // The body's size is its whole size, which the gateway knows even past the inspection limit.
      return (r) => (r.body === undefined ? cmp(0) : cmp(r.bodySize >= 0 ? r.bodySize : r.body.length + 1));
    }
    return inspect(compileField(c.fieldToMatch), c.textTransformations, (v) => cmp(Buffer.byteLength(v)));
  }
  if (s.sqliMatchStatement) {
    const q = s.sqliMatchStatement;
    return inspect(
      compileField(q.fieldToMatch),
      q.textTransformations,
      (v) => detectSqli(v, q.sensitivityLevel).reason !== undefined,
    );
  }
  if (s.xssMatchStatement) {
    const x = s.xssMatchStatement;
    return inspect(
      compileField(x.fieldToMatch),
      x.textTransformations,
      (v) => detectXss(v, x.sensitivityLevel) !== undefined,
    );
  }
  if (s.ipSetReferenceStatement) {
    const st = s.ipSetReferenceStatement;
    const p = [...path, 'ipSetReferenceStatement'];
    if ((st.name === undefined) === (st.addresses === undefined))
      env.issue(p, 'expected exactly one of "name" (a set under wafIpSets) or "addresses"');
    let addrs = st.addresses ?? [];
    if (st.name !== undefined) {
      const set = env.ipSets[st.name];
      if (!set) env.issue([...p, 'name'], `unknown IP set "${st.name}"; define it under wafIpSets`);
      addrs = set?.addresses ?? [];
    }
    const list = ipList(addrs, st.name !== undefined ? ['wafIpSets', st.name, 'addresses'] : [...p, 'addresses'], env);
    const fwd = st.ipSetForwardedIPConfig;
    if (!fwd) return (r) => inList(list, r.clientIp);
    return (r) => {
      const ips = forwardedIps(r, fwd.headerName, fwd.position);
      if (ips.length === 0) return fwd.fallbackBehavior === 'MATCH';
      return ips.some((ip) => inList(list, ip));
    };
  }
  if (s.geoMatchStatement) {
    const g = s.geoMatchStatement;
    const codes = new Set(g.countryCodes);
    const geo = env.geo;
    if (!geo) return never; // no database configured: skip cleanly (documented; logged once at load)
    const fwd = g.forwardedIPConfig;
    return (r) => {
      let ip = r.clientIp;
      if (fwd) {
        const ips = forwardedIps(r, fwd.headerName, 'FIRST');
        if (ips.length === 0) return fwd.fallbackBehavior === 'MATCH';
        ip = ips[0] as string;
      }
      const c = geo(ip);
      return c !== undefined && codes.has(c);
    };
  }
  if (s.labelMatchStatement) {
    const { scope, key } = s.labelMatchStatement;
    if (scope === 'NAMESPACE') {
      const ns = key.endsWith(':') ? key : `${key}:`;
      return (_r, st) => st.labels.some((l) => l.startsWith(ns) || l.includes(`:${ns}`));
    }
    return (_r, st) => st.labels.some((l) => l === key || l.endsWith(`:${key}`));
  }
  if (s.rateBasedStatement) return compileRate(s.rateBasedStatement, [...path, 'rateBasedStatement'], env);
  if (s.andStatement) {
    const subs = s.andStatement.statements.map((x, i) =>
      compileStatement(x, [...path, 'andStatement', 'statements', i], env),
    );
    return (r, st) => subs.every((m) => m(r, st));
  }
  if (s.orStatement) {
    const subs = s.orStatement.statements.map((x, i) =>
      compileStatement(x, [...path, 'orStatement', 'statements', i], env),
    );
    return (r, st) => subs.some((m) => m(r, st));
  }
  if (s.notStatement) {
    const sub = compileStatement(s.notStatement.statement, [...path, 'notStatement', 'statement'], env);
    return (r, st) => !sub(r, st);
  }
  if (s.managedRuleGroupStatement) {
    env.issue(
      [...path, 'managedRuleGroupStatement'],
      'a managed rule group can only be the top-level statement of a rule',
    );
    return never;
  }
  env.issue(path, 'empty statement');
  return never;
}

function compileRate(
  c: NonNullable<StatementConfig['rateBasedStatement']>,
  path: (string | number)[],
  env: CompileEnv,
): Matcher {
  const windowMs = c.evaluationWindowSec * 1000;
  const scopeDown = c.scopeDownStatement
    ? compileStatement(c.scopeDownStatement, [...path, 'scopeDownStatement'], env)
    : undefined;
  const fwd = c.forwardedIPConfig;
  if (c.aggregateKeyType === 'FORWARDED_IP' && !fwd)
    env.issue([...path, 'forwardedIPConfig'], 'aggregateKeyType FORWARDED_IP needs forwardedIPConfig');
  if (c.aggregateKeyType === 'CUSTOM_KEYS' && !c.customKeys)
    env.issue([...path, 'customKeys'], 'aggregateKeyType CUSTOM_KEYS needs customKeys');
  type KeyPart = (r: WafRequest, st: EvalState) => string | undefined;
  let parts: KeyPart[];
  switch (c.aggregateKeyType) {
    case 'IP':
      parts = [(r) => r.clientIp];
      break;
    case 'CONSTANT':
      parts = [() => '*'];
      break;
    case 'FORWARDED_IP':
      parts = [(r) => (fwd ? forwardedIps(r, fwd.headerName, 'FIRST')[0] : undefined)];
      break;
    case 'CUSTOM_KEYS':
      parts = (c.customKeys ?? []).map((k): KeyPart => {
        if (k.ip) return (r) => r.clientIp;
        if (k.forwardedIP) return (r) => (fwd ? forwardedIps(r, fwd.headerName, 'FIRST')[0] : undefined);
        if (k.httpMethod) return (r) => r.method;
        const one = (f: FieldFn, t: readonly TextTransformationConfig[]): KeyPart => {
          const tf = compileTransforms(t);
          return (r) => {
            const v = f(r);
            if (v === FORCE || v.length === 0) return undefined;
            return tf ? tf(v[0] as string) : v[0];
          };
        };
        if (k.uriPath) return one(compileField({ uriPath: {} }), k.uriPath.textTransformations);
        if (k.queryString) return one(compileField({ queryString: {} }), k.queryString.textTransformations);
        if (k.header) return one(compileField({ singleHeader: { name: k.header.name } }), k.header.textTransformations);
        if (k.queryArgument)
          return one(
            compileField({ singleQueryArgument: { name: k.queryArgument.name } }),
            k.queryArgument.textTransformations,
          );
        if (k.cookie) {
          const name = k.cookie.name;
          const tf = compileTransforms(k.cookie.textTransformations);
          return (r) => {
            const v = r.cookies.find(([n]) => n === name)?.[1];
            return v === undefined ? undefined : tf ? tf(v) : v;
          };
        }
        const ns = k.labelNamespace?.namespace ?? '';
        return (_r, st) => {
          const ls = st.labels.filter((l) => l.startsWith(ns));
          return ls.length ? ls.sort().join(',') : undefined;
        };
      });
      break;
  }
  const limit = c.limit;
  const scope = env.rateScope;
  return (r, st) => {
    if (scopeDown && !scopeDown(r, st)) return false;
    let key = scope;
    for (const p of parts) {
      const v = p(r, st);
      // AWS: a request missing any key part is not counted (FORWARDED_IP: fallbackBehavior decides).
      if (v === undefined) return c.aggregateKeyType === 'FORWARDED_IP' && fwd?.fallbackBehavior === 'MATCH';
      key += `\u0000${v}`;
    }
    return env.counters().hit(key, windowMs, st.nowMs) > limit;
  };
}
