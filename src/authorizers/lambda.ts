/**
 * The AWS Lambda authorizer contract (reference §1.10; DG:api-gateway-lambda-authorizer-input/-output):
 * the TOKEN and REQUEST events, and the IAM-policy or simple {isAuthorized, context} result.
 */
import type { RequestContext } from '../pipeline/context.js';
import { arnPattern } from '../pipeline/arn.js';
import { decodeOrKeep } from '../router/trie.js';

export interface PolicyStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly resources: readonly RegExp[];
}

export type AuthorizerOutput =
  | {
      readonly kind: 'policy';
      readonly principalId: string;
      readonly statements: readonly PolicyStatement[];
      readonly context: Readonly<Record<string, string>>;
      readonly usageIdentifierKey?: string;
    }
  | { readonly kind: 'simple'; readonly isAuthorized: boolean; readonly context: Readonly<Record<string, string>> };

export function tokenEvent(token: string, methodArn: string) {
  return { type: 'TOKEN', authorizationToken: token, methodArn };
}

export function requestEvent(ctx: RequestContext, methodArn: string) {
  const headers: Record<string, string> = {};
  const raw = ctx.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers[raw[i] as string] = raw[i + 1] as string;
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(ctx.rawQuery)) query[k] = v; // last value wins, as AWS v1
  const pathParameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.params)) pathParameters[k] = decodeOrKeep(v);
  const resource = ctx.route?.key.isDefault ? '$default' : ctx.resourcePath;
  const cert = ctx.clientCert;
  return {
    type: 'REQUEST',
    methodArn,
    resource,
    path: ctx.restPath,
    httpMethod: ctx.method,
    headers,
    queryStringParameters: query,
    pathParameters,
    stageVariables: { ...ctx.stageVariables },
    requestContext: {
      path: ctx.rawPath,
      stage: ctx.stageName,
      requestId: ctx.requestId,
      resourcePath: resource,
      httpMethod: ctx.method,
      apiId: ctx.apiName,
      protocol: ctx.protocol,
      identity: { sourceIp: ctx.clientIp, userAgent: ctx.userAgent, ...(cert ? { clientCert: cert } : {}) },
      // HTTP APIs (payload 2.0) carry it as requestContext.authentication.clientCert.
      ...(cert && ctx.api?.type === 'http' ? { authentication: { clientCert: cert } } : {}),
    },
  };
}

const INVOKE_ACTIONS = new Set(['execute-api:Invoke', 'execute-api:*', '*']);

/** Checks and compiles a function's result; a string is what is wrong with it (→ 500). */
export function parseAuthorizerOutput(v: unknown): AuthorizerOutput | string {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'the result is not an object';
  const o = v as Record<string, unknown>;
  const context = parseContext(o.context);
  if (typeof context === 'string') return context;
  if ('isAuthorized' in o) {
    if (typeof o.isAuthorized !== 'boolean') return '"isAuthorized" is not a boolean';
    return { kind: 'simple', isAuthorized: o.isAuthorized, context };
  }
  if (typeof o.principalId !== 'string') return 'the result has neither "isAuthorized" nor a string "principalId"';
  const doc = o.policyDocument as Record<string, unknown> | undefined;
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.Statement))
    return '"policyDocument.Statement" is not a list';
  const statements: PolicyStatement[] = [];
  for (const s of doc.Statement as unknown[]) {
    if (!s || typeof s !== 'object') return 'a policy statement is not an object';
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') return 'a policy statement\'s "Effect" is not "Allow" or "Deny"';
    const actions = list(st.Action);
    const resources = list(st.Resource);
    if (!actions || !resources)
      return 'a policy statement\'s "Action" or "Resource" is not a string or list of strings';
    if (!actions.some((a) => INVOKE_ACTIONS.has(a))) continue;
    statements.push({ effect: st.Effect, resources: resources.map(arnPattern) });
  }
  if (o.usageIdentifierKey !== undefined && typeof o.usageIdentifierKey !== 'string')
    return '"usageIdentifierKey" is not a string';
  return {
    kind: 'policy',
    principalId: o.principalId,
    statements,
    context,
    ...(typeof o.usageIdentifierKey === 'string' ? { usageIdentifierKey: o.usageIdentifierKey } : {}),
  };
}

function list(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

/** AWS: context values must be strings, numbers or booleans; they reach the backend stringified. */
function parseContext(v: unknown): Record<string, string> | string {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return '"context" is not an object';
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean')
      return `context value "${k}" is not a string, number or boolean`;
    out[k] = String(x);
  }
  return out;
}

/** IAM evaluation: an explicit Deny wins, then an Allow, else the implicit deny. */
export function evaluatePolicy(
  statements: readonly PolicyStatement[],
  methodArn: string,
): 'allow' | 'deny' | 'implicitDeny' {
  let allowed = false;
  for (const s of statements) {
    if (!s.resources.some((r) => r.test(methodArn))) continue;
    if (s.effect === 'Deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicitDeny';
}
