/**
 * The API Gateway proxy events a function receives, field for field as AWS builds them
 * (reference §1.9; DG:set-up-lambda-proxy-integrations, DG:http-api-develop-integrations-lambda):
 * payload 1.0 (REST AWS_PROXY, and HTTP APIs that ask for it) and payload 2.0 (HTTP APIs).
 */
import { createHash } from 'node:crypto';
import type { RequestContext } from '../pipeline/context.js';
import { OVERRIDE_HEADERS } from '../forward/headers.js';
import { clfTime } from './time.js';

/** What the event needs besides the request context. */
export interface EventInput {
  /** The request body, read in full ("" body = none). */
  body: Buffer;
  /** The body goes base64-encoded (binary media type, or not text). */
  base64: boolean;
  /** AWS account and API ids (the API's `arn` settings). */
  accountId: string;
  apiId: string;
  /** Request time, epoch ms. */
  timeEpoch: number;
}

/** A stable short id, AWS-style, for ids we have no real value for (resourceId, deploymentId). */
export function shortId(...parts: string[]): string {
  return createHash('sha256')
    .update(parts.join('\0'))
    .digest('base64url')
    .replace(/[-_]/g, '')
    .slice(0, 6)
    .toLowerCase();
}

function domainPrefix(host: string): string {
  const dot = host.indexOf('.');
  return dot === -1 ? host : host.slice(0, dot);
}

/**
 * Request headers in received order: single-value (last wins, original case) and multi-value maps.
 * Method and URL override headers are left out unless the API keeps them (forward/headers.ts).
 */
interface HeaderMaps {
  single: Record<string, string>;
  multi: Record<string, string[]>;
}

function headerMaps(raw: readonly string[], keepOverrides: boolean): HeaderMaps {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  const seen = new Map<string, string>(); // lower-case → first spelling
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (!keepOverrides && OVERRIDE_HEADERS.has(lower)) continue;
    const key = seen.get(lower) ?? name;
    if (!seen.has(lower)) seen.set(lower, name);
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  return { single, multi };
}

function queryMaps(rawQuery: string): { single: Record<string, string>; multi: Record<string, string[]> } {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  if (rawQuery) {
    for (const [k, v] of new URLSearchParams(rawQuery)) {
      single[k] = v; // last value wins, as AWS v1
      (multi[k] ??= []).push(v);
    }
  }
  return { single, multi };
}

const orNull = <T extends object>(o: T): T | null => (Object.keys(o).length ? o : null);

function resourceOf(ctx: RequestContext): string {
  return ctx.route?.key.isDefault ? '$default' : ctx.resourcePath;
}

/** requestContext.authorizer of a v1 event: principalId, claims and the authorizer's context keys. */
function authorizerV1(ctx: RequestContext): Record<string, unknown> | undefined {
  const id = ctx.identity;
  if (!id.principalId && !id.claims && !id.authorizerContext) return undefined;
  const out: Record<string, unknown> = {};
  if (id.claims) out.claims = { ...id.claims };
  if (id.scopes) out.scopes = [...id.scopes];
  if (id.authorizerContext) Object.assign(out, id.authorizerContext);
  if (id.principalId !== undefined) out.principalId = id.principalId;
  return out;
}

/**
 * What a REST API adds to and changes in the v1 event's headers, as recorded on AWS
 * (test/fixtures/aws-recorded/, `test_lambda_aws_proxy_integration`): a client's `authorization`, in any
 * case, arrives as `Authorization` (other names keep the client's case), and X-Forwarded-For, -Port and
 * -Proto are present under those names. Their values are not recorded: X-Forwarded-For is the client's
 * list with the peer appended, as proxies add themselves; -Port and -Proto are this listener's.
 */
function restHeaders(ctx: RequestContext, { single, multi }: HeaderMaps): void {
  let xffIn: string | undefined;
  for (const name of Object.keys(single)) {
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for' || lower === 'x-forwarded-port' || lower === 'x-forwarded-proto') {
      if (lower === 'x-forwarded-for') xffIn = single[name];
      delete single[name];
      delete multi[name];
    } else if (lower === 'authorization' && name !== 'Authorization') {
      single.Authorization = single[name] as string;
      multi.Authorization = multi[name] as string[];
      delete single[name];
      delete multi[name];
    }
  }
  const added: [string, string][] = [
    ['X-Forwarded-For', xffIn ? `${xffIn}, ${ctx.peerIp}` : ctx.peerIp],
    ['X-Forwarded-Port', String(ctx.localPort)],
    ['X-Forwarded-Proto', 'http'],
  ];
  for (const [name, value] of added) {
    single[name] = value;
    multi[name] = [value];
  }
}

/** Payload format 1.0. Absent maps are null, as AWS sends them. */
export function buildEventV1(ctx: RequestContext, input: EventInput): Record<string, unknown> {
  const headers = headerMaps(ctx.req.rawHeaders, ctx.api?.forwardOverrideHeaders === true);
  if (ctx.api?.type === 'rest') restHeaders(ctx, headers);
  const query = queryMaps(ctx.rawQuery);
  const resource = resourceOf(ctx);
  // Exactly AWS's fields (recorded: `test_lambda_aws_proxy_integration`); apiKey and apiKeyId only when a
  // key was checked, as DG:api-gateway-mapping-template-reference defines them ("for API methods that require
  // an API key"). clientCert only with a verified mTLS client certificate (docs/edge.md), as AWS sends it.
  const identity: Record<string, unknown> = {
    accessKey: null,
    accountId: null,
    caller: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp: ctx.clientIp,
    user: null,
    userAgent: ctx.userAgent,
    userArn: null,
  };
  if (ctx.identity.apiKeyId !== undefined) {
    identity.apiKey = (ctx.req.headers['x-api-key'] as string | undefined) ?? null;
    identity.apiKeyId = ctx.identity.apiKeyId;
  }
  const clientCert = ctx.clientCert;
  if (clientCert) identity.clientCert = clientCert;
  const requestContext: Record<string, unknown> = {
    accountId: input.accountId,
    apiId: input.apiId,
    deploymentId: shortId(ctx.apiName, ctx.stageName, String(ctx.snapshot.revision)),
    domainName: ctx.host,
    domainPrefix: domainPrefix(ctx.host),
    extendedRequestId: ctx.extendedRequestId,
    httpMethod: ctx.method,
    identity,
    path: ctx.rawPath,
    protocol: ctx.protocol,
    requestId: ctx.requestId,
    requestTime: clfTime(input.timeEpoch),
    requestTimeEpoch: input.timeEpoch,
    resourceId: shortId(ctx.apiName, resource),
    resourcePath: resource,
    stage: ctx.stageName,
  };
  const authorizer = authorizerV1(ctx);
  if (authorizer) requestContext.authorizer = authorizer;
  return {
    resource,
    path: ctx.restPath,
    httpMethod: ctx.method,
    headers: orNull(headers.single),
    multiValueHeaders: orNull(headers.multi),
    queryStringParameters: orNull(query.single),
    multiValueQueryStringParameters: orNull(query.multi),
    pathParameters: orNull({ ...ctx.params }),
    stageVariables: orNull({ ...ctx.stageVariables }),
    requestContext,
    body: input.body.length ? input.body.toString(input.base64 ? 'base64' : 'utf8') : null,
    isBase64Encoded: input.base64,
  };
}

/** Payload format 2.0. Absent fields are left out, as AWS does. */
export function buildEventV2(ctx: RequestContext, input: EventInput): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = ctx.req.rawHeaders;
  const keepOverrides = ctx.api?.forwardOverrideHeaders === true;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (!keepOverrides && OVERRIDE_HEADERS.has(name)) continue;
    if (name === 'cookie') {
      for (const c of value.split(';')) if (c.trim()) cookies.push(c.trim());
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  if (ctx.rawQuery)
    for (const [k, v] of new URLSearchParams(ctx.rawQuery)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const routeKey = ctx.route?.key.isDefault ? '$default' : ctx.routeKey;
  const requestContext: Record<string, unknown> = {
    accountId: input.accountId,
    apiId: input.apiId,
    ...(ctx.clientCert ? { authentication: { clientCert: ctx.clientCert } } : {}),
    domainName: ctx.host,
    domainPrefix: domainPrefix(ctx.host),
    http: {
      method: ctx.method,
      path: ctx.rawPath,
      protocol: ctx.protocol,
      sourceIp: ctx.clientIp,
      userAgent: ctx.userAgent,
    },
    requestId: ctx.requestId,
    routeKey,
    stage: ctx.stageName,
    time: clfTime(input.timeEpoch),
    timeEpoch: input.timeEpoch,
  };
  const id = ctx.identity;
  if (id.claims)
    requestContext.authorizer = { jwt: { claims: { ...id.claims }, scopes: id.scopes ? [...id.scopes] : null } };
  else if (id.authorizerContext || id.principalId) {
    requestContext.authorizer = {
      lambda: { ...id.authorizerContext, ...(id.principalId ? { principalId: id.principalId } : {}) },
    };
  }
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey,
    rawPath: ctx.rawPath,
    rawQueryString: ctx.rawQuery,
  };
  if (cookies.length) event.cookies = cookies;
  event.headers = headers;
  if (Object.keys(query).length) event.queryStringParameters = query;
  event.requestContext = requestContext;
  if (input.body.length) event.body = input.body.toString(input.base64 ? 'base64' : 'utf8');
  if (Object.keys(ctx.params).length) event.pathParameters = { ...ctx.params };
  event.isBase64Encoded = input.base64;
  if (Object.keys(ctx.stageVariables).length) event.stageVariables = { ...ctx.stageVariables };
  return event;
}
