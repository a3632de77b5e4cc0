/**
 * A compiled web ACL and its evaluation, with AWS WAF's semantics: rules by priority; a matching
 * rule adds its labels, then allow/block ends the evaluation and count goes on; rule groups run
 * their own rules the same way; when no rule ends it, the default action applies.
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-action.html
 */
import { findManagedGroup, MANAGED_GROUPS, type ManagedRule } from './managed.js';
import type { WafRequest } from './request.js';
import type { RuleConfig, WebAclConfig } from './schema.js';
import { compileStatement, type CompileEnv, type EvalState, type Matcher } from './statements.js';

/** What the WAF decided for one request; kept on ctx.waf for access logs and metrics. */
export interface WafResult {
  /** The ACL's name (or "<api>/<stage>" for an inline ACL). */
  acl: string;
  action: 'ALLOW' | 'BLOCK';
  /** The rule that ended the evaluation, or "Default_Action" (AWS's name). */
  terminatingRuleId: string;
  terminatingRuleType: 'REGULAR' | 'RATE_BASED' | 'GROUP' | 'MANAGED_RULE_GROUP' | 'DEFAULT';
  /** Every rule that matched, in evaluation order (rule group rules as "rule:groupRule"). */
  ruleIds: string[];
  /** Of those, the ones whose action was count. */
  countedRuleIds: string[];
  /** Labels added to the request. */
  labels: string[];
  /** A rule threw; counted as a match for block rules (fail safe). */
  errors: number;
}

/** A rendered custom block response. */
export interface BlockResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Action = 'ALLOW' | 'BLOCK' | 'COUNT';

interface CompiledRule {
  name: string;
  action: Action;
  type: WafResult['terminatingRuleType'];
  labels: string[];
  match: Matcher | undefined;
  /** Managed group: its rules with their effective actions. */
  group?: { rules: { rule: ManagedRule; action: Action }[]; scopeDown: Matcher | undefined };
  block?: BlockResponse | undefined;
}

export interface CompiledAcl {
  readonly name: string;
  /** Some rule inspects the body: the hook must read (a prefix of) it first. */
  readonly needsBody: boolean;
  readonly bodyLimitBytes: number;
  /** Evaluates the ACL. The custom response, if the block carries one. */
  evaluate(r: WafRequest, nowMs: number): { result: WafResult; block?: BlockResponse | undefined };
}

const CONTENT_TYPES = {
  TEXT_PLAIN: 'text/plain',
  TEXT_HTML: 'text/html',
  APPLICATION_JSON: 'application/json',
} as const;

function actionOf(a: RuleConfig['action']): Action {
  if (a?.allow) return 'ALLOW';
  if (a?.block) return 'BLOCK';
  return 'COUNT';
}

/** Does a statement tree read the body? (decides whether the hook buffers a prefix) */
function readsBody(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  for (const [k, x] of Object.entries(v)) {
    if (k === 'body' || k === 'jsonBody') return true;
    if (k === 'managedRuleGroupStatement') return true; // the managed groups inspect bodies
    if (readsBody(x)) return true;
  }
  return false;
}

export interface AclCompileOptions {
  name: string;
  /** Called when a rule throws (the evaluation goes on, fail safe). */
  onRuleError?: (rule: string, err: unknown) => void;
}

/** Compiles an ACL; problems are reported through env.issue with paths relative to the ACL. */
export function compileAcl(
  acl: WebAclConfig,
  env: Omit<CompileEnv, 'rateScope'>,
  opts: AclCompileOptions,
): CompiledAcl {
  const seenNames = new Map<string, number>();
  const seenPriorities = new Map<number, number>();
  const renderBlock = (
    cr: NonNullable<NonNullable<RuleConfig['action']>['block']>['customResponse'],
    path: (string | number)[],
  ): BlockResponse | undefined => {
    if (!cr) return undefined;
    const headers: Record<string, string> = {};
    for (const h of cr.responseHeaders ?? []) headers[h.name.toLowerCase()] = h.value.replace(/[\0-\x1f\x7f]/g, '');
    let body = '';
    if (cr.customResponseBodyKey !== undefined) {
      const b = acl.customResponseBodies[cr.customResponseBodyKey];
      if (!b)
        env.issue(
          [...path, 'customResponseBodyKey'],
          `unknown custom response body "${cr.customResponseBodyKey}"; define it under customResponseBodies`,
        );
      else {
        body = b.content;
        headers['content-type'] = CONTENT_TYPES[b.contentType];
      }
    }
    return { status: cr.responseCode, headers, body };
  };

  const rules: CompiledRule[] = [];
  acl.rules.forEach((rc, i) => {
    const path = ['rules', i];
    const dupName = seenNames.get(rc.name);
    if (dupName !== undefined)
      env.issue([...path, 'name'], `duplicate rule name "${rc.name}" (also rules[${dupName}])`);
    seenNames.set(rc.name, i);
    const dupPrio = seenPriorities.get(rc.priority);
    if (dupPrio !== undefined)
      env.issue(
        [...path, 'priority'],
        `duplicate priority ${rc.priority} (also rules[${dupPrio}]); AWS requires unique priorities`,
      );
    seenPriorities.set(rc.priority, i);
    const ruleEnv: CompileEnv = { ...env, rateScope: `${opts.name}/${rc.name}` };
    const labels = rc.ruleLabels.map((l) => l.name);
    const mg = rc.statement.managedRuleGroupStatement;
    if (mg) {
      if (rc.action)
        env.issue(
          [...path, 'action'],
          'a managed rule group takes overrideAction ({ none: {} } or { count: {} }), not action',
        );
      const def = findManagedGroup(mg.vendorName, mg.name);
      if (!def) {
        env.issue(
          [...path, 'statement', 'managedRuleGroupStatement', 'name'],
          `unknown managed rule group "${mg.vendorName}/${mg.name}"; available: ${MANAGED_GROUPS.map((g) => g.name).join(', ')}`,
        );
        return;
      }
      const built = def.build(mg.sensitivityLevel, ruleEnv);
      const overrides = new Map<string, Action>();
      for (const e of mg.excludedRules ?? []) overrides.set(e.name, 'COUNT');
      (mg.ruleActionOverrides ?? []).forEach((o, j) => {
        if (!built.some((b) => b.name === o.name))
          env.issue(
            [...path, 'statement', 'managedRuleGroupStatement', 'ruleActionOverrides', j, 'name'],
            `group ${def.name} has no rule "${o.name}"; its rules: ${built.map((b) => b.name).join(', ')}`,
          );
        overrides.set(o.name, actionOf(o.actionToUse));
      });
      const groupCount = rc.overrideAction?.count !== undefined;
      rules.push({
        name: rc.name,
        action: 'BLOCK',
        type: 'MANAGED_RULE_GROUP',
        labels,
        match: undefined,
        group: {
          rules: built.map((rule) => {
            let a = overrides.get(rule.name) ?? 'BLOCK';
            if (groupCount && a === 'BLOCK') a = 'COUNT';
            return { rule, action: a };
          }),
          scopeDown: mg.scopeDownStatement
            ? compileStatement(
                mg.scopeDownStatement,
                [...path, 'statement', 'managedRuleGroupStatement', 'scopeDownStatement'],
                ruleEnv,
              )
            : undefined,
        },
      });
      return;
    }
    if (!rc.action) env.issue([...path, 'action'], 'expected an action: { allow: {} }, { block: {} } or { count: {} }');
    if (rc.overrideAction)
      env.issue([...path, 'overrideAction'], 'overrideAction is for managed rule groups; use action');
    const action = actionOf(rc.action);
    rules.push({
      name: rc.name,
      action,
      type: rc.statement.rateBasedStatement ? 'RATE_BASED' : 'REGULAR',
      labels,
      match: compileStatement(rc.statement, [...path, 'statement'], ruleEnv),
      block:
        action === 'BLOCK'
          ? renderBlock(rc.action?.block?.customResponse, [...path, 'action', 'block', 'customResponse'])
          : undefined,
    });
  });
  rules.sort(
    (a, b) =>
      (acl.rules.find((r) => r.name === a.name)?.priority ?? 0) -
      (acl.rules.find((r) => r.name === b.name)?.priority ?? 0),
  );
  const defaultBlock = acl.defaultAction.block !== undefined;
  const defaultResponse = renderBlock(acl.defaultAction.block?.customResponse, [
    'defaultAction',
    'block',
    'customResponse',
  ]);
  const onError = opts.onRuleError ?? (() => undefined);
  const name = opts.name;

  return {
    name,
    needsBody: readsBody(acl.rules),
    bodyLimitBytes: acl.bodyInspectionLimitKb * 1024,
    evaluate(r, nowMs) {
      const st: EvalState = { labels: [], nowMs };
      const ruleIds: string[] = [];
      const counted: string[] = [];
      let errors = 0;
      const done = (
        action: 'ALLOW' | 'BLOCK',
        id: string,
        type: WafResult['terminatingRuleType'],
        block?: BlockResponse,
      ) => ({
        result: {
          acl: name,
          action,
          terminatingRuleId: id,
          terminatingRuleType: type,
          ruleIds,
          countedRuleIds: counted,
          labels: st.labels,
          errors,
        },
        block,
      });
      /** Runs a matcher; an exception counts as a match for a block rule and as no match otherwise. */
      const test = (m: Matcher, id: string, action: Action): boolean => {
        try {
          return m(r, st);
        } catch (err) {
          errors++;
          onError(id, err);
          return action === 'BLOCK';
        }
      };
      for (const rule of rules) {
        if (rule.group) {
          if (rule.group.scopeDown && !test(rule.group.scopeDown, rule.name, 'COUNT')) continue;
          let matched = false;
          for (const { rule: gr, action } of rule.group.rules) {
            const id = `${rule.name}:${gr.name}`;
            if (!test(gr.match, id, action)) continue;
            matched = true;
            ruleIds.push(id);
            for (const l of gr.labels) st.labels.push(l);
            if (action === 'COUNT') {
              counted.push(id);
              continue;
            }
            for (const l of rule.labels) st.labels.push(l);
            return done(action, rule.name, 'MANAGED_RULE_GROUP');
          }
          if (matched) for (const l of rule.labels) st.labels.push(l);
          continue;
        }
        if (!test(rule.match as Matcher, rule.name, rule.action)) continue;
        ruleIds.push(rule.name);
        for (const l of rule.labels) st.labels.push(l);
        if (rule.action === 'COUNT') {
          counted.push(rule.name);
          continue;
        }
        return done(rule.action, rule.name, rule.type, rule.block);
      }
      return done(defaultBlock ? 'BLOCK' : 'ALLOW', 'Default_Action', 'DEFAULT', defaultResponse);
    },
  };
}
