import type { RequestContext } from '../pipeline/context.js';
import { compileTemplate, type CompiledTemplate, CONTEXT_VARIABLES, wafAction, wafError } from '../template.js';

/** Access-log line formats: the "json" and "clf" presets and $context templates. */

export type Formatter = (ctx: RequestContext) => string;

/** AWS's CLF example (DG: set-up-logging), with the resource path as AWS prints it. */
export const CLF_FORMAT =
  '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] ' +
  '"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId';

const num = (s: string): number | null => (s === '' ? null : Number(s));
const str = (s: string): string | null => (s === '' ? null : s);
const v = CONTEXT_VARIABLES as Record<string, (c: RequestContext) => string>;
const g = (name: string) => v[name] as (c: RequestContext) => string;
const G = {
  requestTime: g('requestTime'),
  responseLatency: g('responseLatency'),
  integrationLatency: g('integrationLatency'),
  status: g('status'),
  responseLength: g('responseLength'),
  integrationStatus: g('integrationStatus'),
};

/** The "json" preset: the AWS JSON example's fields plus latency, ids and errors. null = no value. */
export function jsonLine(c: RequestContext): string {
  const line = {
    requestId: c.requestId,
    ip: c.clientIp,
    requestTime: G.requestTime(c),
    httpMethod: c.method,
    routeKey: str(c.routeKey),
    resourcePath: str(c.resourcePath),
    path: c.rawPath,
    protocol: c.protocol,
    status: num(G.status(c)),
    responseLength: num(G.responseLength(c)),
    responseLatency: num(G.responseLatency(c)),
    integrationLatency: num(G.integrationLatency(c)),
    integrationStatus: num(G.integrationStatus(c)),
    apiId: str(c.apiName),
    stage: str(c.stageName),
    domainName: str(c.host),
    userAgent: str(c.userAgent),
    apiKeyId: c.identity.apiKeyId ?? null,
    principalId: c.identity.principalId ?? null,
    errorMessage: str(c.errorMessage),
    errorResponseType: str(c.errorResponseType),
    integrationError: str(c.integrationErrorMessage),
    traceId: str(c.traceId),
    ...(c.deployment ? { deploymentId: c.deployment.id, isCanaryRequest: c.deployment.canary } : {}),
  };
  // Only when the stage has a web ACL, so lines without a WAF stay as they were.
  return JSON.stringify(c.waf ? { ...line, waf: wafJson(c) } : line);
}

/** The "waf" object of a JSON line. */
function wafJson(c: RequestContext) {
  const w = c.waf as NonNullable<RequestContext['waf']>;
  return {
    status: w.action === 'BLOCK' ? 403 : 200,
    action: wafAction(w),
    responseCode: w.action === 'BLOCK' ? 'WAF_BLOCK' : 'WAF_ALLOW',
    acl: w.acl,
    terminatingRuleId: w.terminatingRuleId,
    terminatingRuleType: w.terminatingRuleType,
    matchedRules: w.ruleIds,
    countedRules: w.countedRuleIds,
    labels: w.labels,
    error: str(wafError(w)),
  };
}

/** JSON string content without the quotes. */
const jsonEscape = (s: string): string => JSON.stringify(s).slice(1, -1);

/** "json", "clf" or a $context template; returns the problems instead when the format is invalid. */
export function compileAccessLogFormat(format: string): Formatter | { errors: string[] } {
  if (format === 'json') return jsonLine;
  const source = format === 'clf' ? CLF_FORMAT : format;
  if (!/\$\{?context\.(requestId|extendedRequestId)\b/.test(source)) {
    return {
      errors: ['an access log format must contain $context.requestId or $context.extendedRequestId (as AWS requires)'],
    };
  }
  // A template shaped like JSON gets its values escaped, so a quote in a path cannot break the line.
  const t = compileTemplate(source, {
    empty: '-',
    ...(source.trimStart().startsWith('{') ? { escape: jsonEscape } : {}),
  });
  if ('errors' in t) return t;
  const tpl: CompiledTemplate = t;
  return (c) => tpl.render(c);
}
