import { isObj, type Json } from './json.js';
import { type ImportReport, pointer } from './report.js';

/**
 * Lambda targets of the importers: `aws_proxy` (and Lambda `aws`) integrations → our `function`
 * integrations. A Lambda can't run here, so each function is mapped to a local handler, either by
 * the user (`--function NAME=./file.js#export`, NAME = function name, logical id or ARN) or, for
 * functions the template defines with local code (SAM `CodeUri` + `Handler`), by deriving the
 * module from the code directory. Unmapped targets leave their route out, with the `--function` to pass.
 */

/** A function the template defines (AWS::Lambda::Function, AWS::Serverless::Function). */
export interface TemplateFunction {
  logicalId: string;
  /** `FunctionName`, when the template sets one. */
  name?: string;
  timeoutS?: number;
  memoryMB?: number;
  /** Handler derived from local code, as it goes into the config. */
  handler?: string;
  /** Why none could be derived (shown with the --function hint). */
  why?: string;
}

/** Finds a handler module for CodeUri + module path (e.g. "src/", "app"); returns MODULE#EXPORT's module part or undefined. */
export type CodeResolver = (codeUri: string, module: string) => string | undefined;
/** Saves a function's inline code (InlineCode, Code.ZipFile) as its handler module; returns MODULE#EXPORT's module part or undefined. */
export type InlineCodeWriter = (logicalId: string, module: string, code: string) => string | undefined;

export interface LocalCode {
  resolveCode?: CodeResolver | undefined;
  writeInlineCode?: InlineCodeWriter | undefined;
}

export interface FunctionEnv {
  /** `--function KEY=MODULE#EXPORT`. */
  mappings: Readonly<Record<string, string>>;
  /** Functions of the template, by logical id. */
  functions: Map<string, TemplateFunction>;
  /** Mapping keys that matched a target. */
  used: Set<string>;
}

export function functionEnv(mappings: Readonly<Record<string, string>> = {}): FunctionEnv {
  return { mappings, functions: new Map(), used: new Set() };
}

export const LAMBDA_TYPES = ['AWS::Lambda::Function', 'AWS::Lambda::Permission', 'AWS::Serverless::Function'];
/** Our evaluator's value for Fn::GetAtt X.Arn (cfn-intrinsics.ts). */
const LOGICAL_ARN = /^arn:aws:resource:::([^:/]+)$/;
const INVOCATION = /^arn:[^:]+:apigateway:[^:]*:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/;
const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:/]+)(?::[^:/]+)?$/;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The Lambda a URI invokes: the invocation path form, a Lambda ARN, or GetAtt Arn of a template
 * function. An alias chosen by a stage variable (`function:F:${stageVariables.alias}`) is dropped.
 */
export function lambdaTarget(
  uri: unknown,
): { arn: string; name?: string; logicalId?: string; stageAlias?: string } | undefined {
  if (typeof uri !== 'string') return undefined;
  let arn = INVOCATION.exec(uri)?.[1] ?? uri;
  const alias = /:(\$\{stageVariables\.[A-Za-z0-9_]+\})$/.exec(arn);
  if (alias) arn = arn.slice(0, alias.index);
  if (arn.includes('${stageVariables.')) return undefined;
  if (alias)
    return LAMBDA_ARN.test(arn)
      ? { arn, name: LAMBDA_ARN.exec(arn)?.[1] as string, stageAlias: alias[1] as string }
      : undefined;
  const logical = LOGICAL_ARN.exec(arn)?.[1];
  if (logical) return { arn, logicalId: logical };
  const name = LAMBDA_ARN.exec(arn)?.[1];
  if (name) return { arn, name };
  return undefined;
}

/**
 * An aws_proxy / Lambda aws integration (x-amazon-apigateway-integration form) → our function
 * integration, or undefined (reported) when it can't be. `apiType` decides the payload format.
 */
export function mapFunctionIntegration(
  integ: Json,
  iat: string,
  report: ImportReport,
  env: FunctionEnv,
  apiType: 'rest' | 'http',
): Json | undefined {
  const kind = String(integ.type ?? '').toLowerCase();
  const target = lambdaTarget(integ.uri);
  if (!target) {
    const why =
      typeof integ.uri === 'string' && integ.uri.includes('${stageVariables.')
        ? 'the function is chosen by a stage variable'
        : 'not a Lambda function URI';
    report.unsupported(
      iat,
      `integration type ${kind}`,
      `${integ.uri === undefined ? 'no uri' : `"${String(integ.uri)}"`}: ${why}; route left out`,
    );
    return undefined;
  }
  const fn = target.logicalId
    ? env.functions.get(target.logicalId)
    : [...env.functions.values()].find((f) => f.name === target.name);
  const key = mappedKey(env, [target.arn, target.name, target.logicalId, fn?.logicalId, fn?.name]);
  const handler = key ? env.mappings[key] : fn?.handler;
  const label = fn?.logicalId ?? target.name ?? target.arn;
  if (!handler) {
    const why = fn?.why ? ` (${fn.why})` : '';
    report.unsupported(
      iat,
      `Lambda function ${label}`,
      `a Lambda can't run here${why}: pass --function ${label}=./FILE.js#EXPORT; route left out`,
    );
    return undefined;
  }
  if (key) env.used.add(key);
  const out: Json = { type: 'function', handler };
  const name = fn?.name ?? target.name ?? fn?.logicalId;
  if (name && FUNCTION_NAME.test(name)) out.functionName = name;
  // "1.0", 1.0 (YAML reads a number) and "1" all name version 1.0.
  const version = Number(integ.payloadFormatVersion);
  if (apiType === 'http' && (version === 1 || version === 2)) out.payloadFormatVersion = `${version}.0`;
  // The route times out at the first of the integration's and the function's limits.
  const limits = [Number(integ.timeoutInMillis), (fn?.timeoutS ?? NaN) * 1000].filter(
    (n) => Number.isFinite(n) && n > 0,
  );
  if (limits.length) out.timeoutMs = Math.min(300000, Math.max(50, Math.round(Math.min(...limits))));
  if (fn?.memoryMB !== undefined) out.memoryMB = Math.min(10240, Math.max(16, Math.round(fn.memoryMB)));
  if (target.stageAlias) {
    report.approximated(
      `${iat}/uri`,
      'Lambda alias',
      `the alias ${target.stageAlias} is ignored: every stage runs the same handler`,
    );
  }
  if (kind === 'aws') {
    report.approximated(
      iat,
      'integration type aws (Lambda)',
      "run as a proxy integration: the function gets the proxy event (not the request template's output) and its proxy response is returned (integration responses are not applied)",
    );
  }
  for (const k of ['contentHandling', 'tlsConfig'])
    if (integ[k] !== undefined) report.unsupported(`${iat}/${k}`, k, 'not mapped yet');
  if (integ.credentials !== undefined)
    report.approximated(`${iat}/credentials`, 'credentials', 'the function runs in the gateway; no role is assumed');
  if (isObj(integ.requestParameters) && Object.keys(integ.requestParameters).length) {
    report.unsupported(
      `${iat}/requestParameters`,
      'requestParameters',
      'parameter mapping applies to http_proxy integrations, not to functions',
    );
  }
  return out;
}

/** The `--function` key naming one of `ids`: exactly, or a Lambda ARN whose function name is one of them. */
function mappedKey(env: FunctionEnv, ids: (string | undefined)[]): string | undefined {
  const known = ids.filter((k): k is string => !!k);
  return (
    known.find((k) => k in env.mappings) ??
    Object.keys(env.mappings).find((k) => known.includes(LAMBDA_ARN.exec(k)?.[1] ?? '\0'))
  );
}

/** `--function` keys that matched nothing: probably a typo, so they are reported. */
export function reportUnusedMappings(env: FunctionEnv, report: ImportReport): void {
  for (const key of Object.keys(env.mappings)) {
    if (!env.used.has(key))
      report.unsupported(
        '',
        `--function ${key}`,
        'matches no Lambda integration in this document (use a function name, logical id or ARN)',
      );
  }
}

/**
 * The template's functions (evaluated properties of AWS::Lambda::Function and
 * AWS::Serverless::Function), with handlers derived from local code where `local` finds it, or
 * from inline code `local` saves (noted in the report).
 */
export function collectFunctions(
  resources: [string, string, Json][],
  env: FunctionEnv,
  local: LocalCode,
  report: ImportReport,
): void {
  for (const [id, type, p] of resources) {
    if (type === 'AWS::Lambda::Permission') continue;
    const fn: TemplateFunction = { logicalId: id };
    if (typeof p.FunctionName === 'string' && !p.FunctionName.includes('<unresolved')) fn.name = p.FunctionName;
    if (Number(p.Timeout) > 0) fn.timeoutS = Number(p.Timeout);
    if (Number(p.MemorySize) > 0) fn.memoryMB = Number(p.MemorySize);
    if (isObj(p.Environment) && isObj(p.Environment.Variables) && Object.keys(p.Environment.Variables).length) {
      const names = Object.keys(p.Environment.Variables).join(', ');
      report.approximated(
        pointer('Resources', id, 'Properties', 'Environment', 'Variables'),
        'Environment',
        `the function sees the gateway's environment: set ${names} there`,
      );
    }
    // A function the user maps needs no handler of its own (and its inline code is not saved).
    if (mappedKey(env, [id, fn.name])) {
      env.functions.set(id, fn);
      continue;
    }
    const code = type === 'AWS::Serverless::Function' ? p.CodeUri : p.Code;
    const derived = deriveHandler(id, p, code, local);
    if (derived.handler) fn.handler = derived.handler;
    else fn.why = derived.why;
    if (derived.handler && derived.inline) {
      const at = pointer(
        'Resources',
        id,
        'Properties',
        ...(type === 'AWS::Serverless::Function' ? ['InlineCode'] : ['Code', 'ZipFile']),
      );
      report.approximated(
        at,
        'inline code',
        `saved as ${derived.handler.replace(/#.*$/, '')} (CommonJS, as Lambda runs inline code)`,
      );
    }
    env.functions.set(id, fn);
  }
}

function deriveHandler(
  id: string,
  p: Json,
  code: unknown,
  local: LocalCode,
): { handler?: string; inline?: boolean; why: string } {
  const runtime = typeof p.Runtime === 'string' ? p.Runtime : undefined;
  if (runtime && !runtime.startsWith('nodejs')) return { why: `runtime ${runtime} is not JavaScript` };
  if (typeof p.Handler !== 'string' || !/^[^#]+\.[A-Za-z_$][A-Za-z0-9_$]*$/.test(p.Handler))
    return { why: 'no Handler of the form module.export' };
  const dot = p.Handler.lastIndexOf('.');
  const module = p.Handler.slice(0, dot);
  const exportName = p.Handler.slice(dot + 1);
  const inline =
    typeof p.InlineCode === 'string'
      ? p.InlineCode
      : isObj(code) && typeof code.ZipFile === 'string'
        ? code.ZipFile
        : undefined;
  if (inline !== undefined) {
    if (inline.includes('<unresolved')) return { why: "its inline code depends on values the template can't know" };
    const file = local.writeInlineCode?.(id, module, inline);
    return file
      ? { handler: `${file}#${exportName}`, inline: true, why: '' }
      : { why: 'its code is inline in the template; import with --out to save it next to the config' };
  }
  if (typeof code !== 'string' || /^s3:\/\//i.test(code) || code.includes('<unresolved'))
    return { why: 'its code is not in a local directory' };
  const file = local.resolveCode?.(code, module);
  return file
    ? { handler: `${file}#${exportName}`, why: '' }
    : { why: `no ${module}.js/.mjs/.cjs in ${code} under the code root` };
}

/**
 * Our function integration → x-amazon-apigateway-integration: aws_proxy with an invocation URI
 * naming the function (its functionName, else the module's file name), and the integration itself in
 * `x-portico-function`, which the importer reads back.
 */
export function exportFunctionIntegration(integ: Json, apiType: 'rest' | 'http'): Json {
  const { type: _type, ...own } = integ;
  const file = String(integ.handler)
    .replace(/#.*$/, '')
    .replace(/^.*\//, '')
    .replace(/\.[^.]*$/, '');
  const name =
    typeof integ.functionName === 'string' ? integ.functionName : file.replace(/[^A-Za-z0-9_-]/g, '-') || 'function';
  const out: Json = {
    type: 'aws_proxy',
    httpMethod: 'POST',
    uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${name}/invocations`,
  };
  if (integ.timeoutMs !== undefined && integ.timeoutMs !== 29000) out.timeoutInMillis = integ.timeoutMs;
  if (apiType === 'http') out.payloadFormatVersion = integ.payloadFormatVersion ?? '2.0';
  out['x-portico-function'] = own;
  return out;
}
