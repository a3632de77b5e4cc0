import type { ClientCert } from './edge/tls/client-cert.js';

/**
 * `$context.*` / `$stageVariables.*` templates, as AWS gateway responses and access logs use them.
 * Only substitution, no VTL. A template is compiled once at config load; an unknown variable is a
 * config error, not an empty string at run time.
 */

/** What a template can read. The request context implements it. */
export interface TemplateScope {
  /** `$input.params('name')` (mock response templates): a path, query string or header value, in that order, as AWS looks them up. */
  inputParam?(name: string, where?: 'path' | 'querystring' | 'header'): string;
  readonly requestId: string;
  /** `$context.extendedRequestId`: the id AWS also sends as x-amz-apigw-id (REST) / apigw-requestid (HTTP). */
  readonly extendedRequestId?: string;
  readonly clientIp: string;
  readonly method: string;
  /** Request path as received, without query string. */
  readonly rawPath: string;
  readonly userAgent: string;
  readonly host: string;
  readonly protocol: string;
  readonly startTimeMs: number;
  readonly apiName: string;
  readonly stageName: string;
  readonly resourcePath: string;
  readonly routeKey: string;
  readonly stageVariables: Readonly<Record<string, string>>;
  readonly errorMessage: string;
  readonly errorResponseType: string;
  // Known only as the request runs; access logs read them after the response (absent = empty).
  readonly status?: number;
  readonly identity?: {
    readonly apiKeyId?: string;
    readonly principalId?: string;
    readonly claims?: Readonly<Record<string, unknown>>;
  };
  readonly responseLength?: number;
  readonly endTimeMs?: number;
  readonly integrationStartMs?: number;
  readonly integrationEndMs?: number;
  readonly integrationStatus?: number;
  readonly integrationErrorMessage?: string;
  readonly traceId?: string;
  /** The deployment that served (src/deployments/): its id, and whether as a stage canary. */
  readonly deployment?: { readonly id: number; readonly canary: boolean } | undefined;
  /** What the WAF decided (ctx.waf, src/waf); absent when the stage has no web ACL. */
  readonly waf?: TemplateWaf;
  /** The verified mTLS client certificate of the connection (src/edge/tls/client-cert.ts). */
  readonly clientCert?: ClientCert | undefined;
  /** The base path mapping of a custom domain that matched ('' for the root mapping; src/edge/domains). */
  readonly basePathMatched?: string | undefined;
}

/** The part of the WAF's result (src/waf/engine.ts WafResult) that templates read. */
export interface TemplateWaf {
  readonly action: 'ALLOW' | 'BLOCK';
  readonly terminatingRuleId: string;
  readonly ruleIds: readonly string[];
  readonly countedRuleIds: readonly string[];
  readonly labels: readonly string[];
  readonly errors: number;
}

/**
 * The WAF's action as logs and metrics show it: BLOCK; COUNT when the request went through on the
 * default action but count rules matched; else ALLOW. '' when no WAF ran.
 */
export function wafAction(w: TemplateWaf | undefined): '' | 'ALLOW' | 'BLOCK' | 'COUNT' {
  if (!w) return '';
  if (w.action === 'BLOCK') return 'BLOCK';
  return w.countedRuleIds.length && w.terminatingRuleId === 'Default_Action' ? 'COUNT' : 'ALLOW';
}

/** $context.waf.error: AWS logs the WAF's error message; ours counts rules that threw (fail safe). */
export function wafError(w: TemplateWaf | undefined): string {
  if (!w?.errors) return '';
  return `${w.errors} WAF rule${w.errors === 1 ? '' : 's'} failed`;
}

type Getter = (s: TemplateScope) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** CLF time as AWS's $context.requestTime: 04/Mar/2020:19:15:17 +0000 */
/** The last second formatted: access log lines of one second share it (one Date per second, not per request). */
let clfSecond = -1;
let clfText = '';

function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== clfSecond) {
    clfText = formatClf(ms);
    clfSecond = second;
  }
  return clfText;
}

function formatClf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export const CONTEXT_VARIABLES: Readonly<Record<string, Getter>> = {
  requestId: (s) => s.requestId,
  extendedRequestId: (s) => s.extendedRequestId ?? s.requestId,
  httpMethod: (s) => s.method,
  path: (s) => s.rawPath,
  resourcePath: (s) => s.resourcePath,
  routeKey: (s) => s.routeKey,
  stage: (s) => s.stageName,
  apiId: (s) => s.apiName,
  deploymentId: (s) => (s.deployment ? String(s.deployment.id) : ''),
  isCanaryRequest: (s) => (s.deployment?.canary ? 'true' : 'false'),
  domainName: (s) => s.host,
  protocol: (s) => s.protocol,
  requestTime: (s) => clfTime(s.startTimeMs),
  requestTimeEpoch: (s) => String(s.startTimeMs),
  'identity.sourceIp': (s) => s.clientIp,
  'identity.userAgent': (s) => s.userAgent,
  // mTLS (docs/edge.md): empty without a verified client certificate.
  'identity.clientCert.clientCertPem': (s) => s.clientCert?.clientCertPem ?? '',
  'identity.clientCert.subjectDN': (s) => s.clientCert?.subjectDN ?? '',
  'identity.clientCert.issuerDN': (s) => s.clientCert?.issuerDN ?? '',
  'identity.clientCert.serialNumber': (s) => s.clientCert?.serialNumber ?? '',
  'identity.clientCert.validity.notBefore': (s) => s.clientCert?.validity.notBefore ?? '',
  'identity.clientCert.validity.notAfter': (s) => s.clientCert?.validity.notAfter ?? '',
  'customDomain.basePathMatched': (s) => s.basePathMatched ?? '',
  'error.message': (s) => s.errorMessage,
  'error.messageString': (s) => JSON.stringify(s.errorMessage),
  'error.responseType': (s) => s.errorResponseType,
  // Access-log variables (AWS DG: api-gateway-mapping-template-reference). API keys only by id.
  status: (s) => (s.status ? String(s.status) : ''),
  responseLength: (s) => (s.status ? String(s.responseLength ?? 0) : ''),
  responseLatency: (s) => (s.endTimeMs ? String(s.endTimeMs - s.startTimeMs) : ''),
  integrationLatency: integrationLatency,
  'integration.latency': integrationLatency,
  integrationStatus: (s) => (s.integrationStatus ? String(s.integrationStatus) : ''),
  'integration.status': (s) => (s.integrationStatus ? String(s.integrationStatus) : ''),
  'integration.error': (s) => s.integrationErrorMessage ?? '',
  integrationErrorMessage: (s) => s.integrationErrorMessage ?? '',
  'identity.apiKeyId': (s) => s.identity?.apiKeyId ?? '',
  'identity.caller': () => '',
  'identity.user': () => '',
  'authorizer.principalId': (s) => s.identity?.principalId ?? '',
  'authorizer.claims.sub': (s) => claim(s, 'sub'),
  'authorizer.claims.iss': (s) => claim(s, 'iss'),
  'authorizer.claims.aud': (s) => claim(s, 'aud'),
  traceId: (s) => s.traceId ?? '',
  xrayTraceId: (s) => s.traceId ?? '',
  // WAF (src/waf): AWS's waf.status, waf.error and wafResponseCode, plus the rule details.
  'waf.status': (s) => (s.waf ? (s.waf.action === 'BLOCK' ? '403' : '200') : ''),
  'waf.action': (s) => wafAction(s.waf),
  'waf.terminatingRuleId': (s) => s.waf?.terminatingRuleId ?? '',
  'waf.matchedRules': (s) => s.waf?.ruleIds.join(',') ?? '',
  'waf.labels': (s) => s.waf?.labels.join(',') ?? '',
  'waf.error': (s) => wafError(s.waf),
  wafResponseCode: (s) => (s.waf ? (s.waf.action === 'BLOCK' ? 'WAF_BLOCK' : 'WAF_ALLOW') : ''),
};

/** AWS logs -1 when the integration timed out or failed without answering. */
function integrationLatency(s: TemplateScope): string {
  if (!s.integrationStartMs) return '';
  if (!s.integrationStatus) return s.integrationEndMs ? '-1' : '';
  return String((s.integrationEndMs || s.integrationStartMs) - s.integrationStartMs);
}

function claim(s: TemplateScope, name: string): string {
  const v = s.identity?.claims?.[name];
  return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}

export interface CompiledTemplate {
  readonly source: string;
  render(scope: TemplateScope): string;
}

const VAR =
  /\$(?:\{(context|stageVariables)\.([A-Za-z0-9_.]*[A-Za-z0-9_])\}|(context|stageVariables)\.([A-Za-z0-9_.]*[A-Za-z0-9_]))/g;
/** `$input.params('x')` and `$input.params().path|querystring|header.x` (or `.get('x')`), with `input: true`. */
const INPUT =
  /\$input\.params\((?:(['"])([^'"]*)\1)?\)(?:\.(path|querystring|header)(?:\.get\((['"])([^'"]*)\4\)|\.([A-Za-z0-9_-]+)))?/g;

/**
 * Compiles a template, or returns the list of problems (unknown variables). `empty` replaces
 * variables with no value (access logs print "-", as AWS does); `escape` is applied to every value
 * (JSON-shaped access-log templates escape them as JSON string content).
 */
export function compileTemplate(
  source: string,
  opts: { empty?: string; escape?: (v: string) => string; input?: boolean } = {},
): CompiledTemplate | { errors: string[] } {
  const empty = opts.empty ?? '';
  const esc = opts.escape;
  const parts: (string | Getter)[] = [];
  const errors: string[] = [];
  let last = 0;
  const matches = [...source.matchAll(VAR)];
  if (opts.input) matches.push(...source.matchAll(INPUT));
  matches.sort((a, b) => a.index - b.index);
  for (const m of matches) {
    if (m.index < last) continue;
    if (m[0].startsWith('$input')) {
      if (m.index > last) parts.push(source.slice(last, m.index));
      last = m.index + m[0].length;
      const where = m[3] as 'path' | 'querystring' | 'header' | undefined;
      const name = m[2] ?? m[5] ?? m[6];
      if (name === undefined) {
        errors.push(`${m[0]}: name the parameter, as $input.params('name') or $input.params().path.name`);
        continue;
      }
      parts.push((s) => s.inputParam?.(name, where) || empty);
      continue;
    }
    const ns = (m[1] ?? m[3]) as string;
    const name = (m[2] ?? m[4]) as string;
    if (m.index > last) parts.push(source.slice(last, m.index));
    last = m.index + m[0].length;
    if (ns === 'stageVariables') {
      parts.push(esc ? (s) => esc(s.stageVariables[name] || empty) : (s) => s.stageVariables[name] || empty);
      continue;
    }
    const getter = CONTEXT_VARIABLES[name];
    if (!getter) {
      errors.push(
        `unknown variable $context.${name}; known: ${Object.keys(CONTEXT_VARIABLES)
          .map((k) => `$context.${k}`)
          .join(', ')}`,
      );
      continue;
    }
    parts.push(esc ? (s) => esc(getter(s) || empty) : empty ? (s) => getter(s) || empty : getter);
  }
  if (last < source.length) parts.push(source.slice(last));
  if (errors.length) return { errors };
  if (parts.every((p) => typeof p === 'string')) {
    const text = parts.join('');
    return { source, render: () => text };
  }
  return {
    source,
    render(scope) {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : p(scope);
      return out;
    },
  };
}
