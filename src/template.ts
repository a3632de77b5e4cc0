/**
 * `$context.*` / `$stageVariables.*` templates, as AWS gateway responses and access logs use them.
 * Only substitution, no VTL. A template is compiled once at config load; an unknown variable is a
 * config error, not an empty string at run time.
 */

/** What a template can read. The request context implements it. */
export interface TemplateScope {
  readonly requestId: string;
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
}

type Getter = (s: TemplateScope) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** CLF time as AWS's $context.requestTime: 04/Mar/2020:19:15:17 +0000 */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export const CONTEXT_VARIABLES: Readonly<Record<string, Getter>> = {
  requestId: (s) => s.requestId,
  extendedRequestId: (s) => s.requestId,
  httpMethod: (s) => s.method,
  path: (s) => s.rawPath,
  resourcePath: (s) => s.resourcePath,
  routeKey: (s) => s.routeKey,
  stage: (s) => s.stageName,
  apiId: (s) => s.apiName,
  domainName: (s) => s.host,
  protocol: (s) => s.protocol,
  requestTime: (s) => clfTime(s.startTimeMs),
  requestTimeEpoch: (s) => String(s.startTimeMs),
  'identity.sourceIp': (s) => s.clientIp,
  'identity.userAgent': (s) => s.userAgent,
  'error.message': (s) => s.errorMessage,
  'error.messageString': (s) => JSON.stringify(s.errorMessage),
  'error.responseType': (s) => s.errorResponseType,
};

export interface CompiledTemplate {
  readonly source: string;
  render(scope: TemplateScope): string;
}

const VAR = /\$(?:\{(context|stageVariables)\.([A-Za-z0-9_.]*[A-Za-z0-9_])\}|(context|stageVariables)\.([A-Za-z0-9_.]*[A-Za-z0-9_]))/g;

/** Compiles a template, or returns the list of problems (unknown variables). */
export function compileTemplate(source: string): CompiledTemplate | { errors: string[] } {
  const parts: (string | Getter)[] = [];
  const errors: string[] = [];
  let last = 0;
  for (const m of source.matchAll(VAR)) {
    const ns = (m[1] ?? m[3]) as string;
    const name = (m[2] ?? m[4]) as string;
    if (m.index > last) parts.push(source.slice(last, m.index));
    last = m.index + m[0].length;
    if (ns === 'stageVariables') {
      parts.push((s) => s.stageVariables[name] ?? '');
      continue;
    }
    const getter = CONTEXT_VARIABLES[name];
    if (!getter) {
      errors.push(`unknown variable $context.${name}; known: ${Object.keys(CONTEXT_VARIABLES).map((k) => `$context.${k}`).join(', ')}`);
      continue;
    }
    parts.push(getter);
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
