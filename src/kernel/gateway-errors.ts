/**
 * The one catalogue of gateway responses: every way the gateway itself ends a request (kernel: imports
 * nothing). Each AWS response type has a default status and the default template
 * {"message":$context.error.messageString}; each of our error codes names its type, message
 * and x-amzn-ErrorType. An API may customise any type (and DEFAULT_4XX / DEFAULT_5XX), as AWS does;
 * src/gateway-responses.ts renders them. See ../../docs/gateway-responses.md. The defaults are AWS's: the
 * developer guide's supported-gateway-response-types page and LocalStack's recordings against AWS
 * (test/fixtures/corpus/aws-recorded/). Internal error classes are in ./errors.ts.
 */
export const GATEWAY_RESPONSE_TYPES = [
  'ACCESS_DENIED',
  'API_CONFIGURATION_ERROR',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'AUTHORIZER_FAILURE',
  'BAD_REQUEST_BODY',
  'BAD_REQUEST_PARAMETERS',
  'DEFAULT_4XX',
  'DEFAULT_5XX',
  'EXPIRED_TOKEN',
  'INTEGRATION_FAILURE',
  'INTEGRATION_TIMEOUT',
  'INVALID_API_KEY',
  'INVALID_SIGNATURE',
  'MISSING_AUTHENTICATION_TOKEN',
  'QUOTA_EXCEEDED',
  'REQUEST_TOO_LARGE',
  'RESOURCE_NOT_FOUND',
  'THROTTLED',
  'UNAUTHORIZED',
  'UNSUPPORTED_MEDIA_TYPE',
  'WAF_FILTERED',
] as const;
export type GatewayResponseType = (typeof GATEWAY_RESPONSE_TYPES)[number];

/** AWS's default status per type (GetGatewayResponses, recorded). DEFAULT_4XX/5XX have none. */
export const DEFAULT_STATUS: Readonly<Record<Exclude<GatewayResponseType, 'DEFAULT_4XX' | 'DEFAULT_5XX'>, number>> = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
};

export type ApiType = 'rest' | 'http';

/** One situation in which the gateway answers by itself. */
export interface GatewayErrorDef {
  readonly code: string;
  readonly type: Exclude<GatewayResponseType, 'DEFAULT_4XX' | 'DEFAULT_5XX'>;
  /** Status when the API does not customise it; defaults to the type's status. */
  readonly status: number;
  readonly message: string;
  /** x-amzn-ErrorType (REST APIs). */
  readonly errorType: string;
  /** Exact body AWS sends when it is not rendered from the template (integration errors), per API type. */
  readonly literalBody?: Readonly<Partial<Record<ApiType, string>>>;
  readonly description: string;
}

function def(d: Omit<GatewayErrorDef, 'status'> & { status?: number }): GatewayErrorDef {
  return { ...d, status: d.status ?? DEFAULT_STATUS[d.type] };
}

/** Every gateway error, by stable code. docs/gateway-responses.md lists them. */
export const GATEWAY_ERRORS = {
  ROUTE_NOT_FOUND: def({
    code: 'GW_ERR_ROUTE_NOT_FOUND',
    type: 'MISSING_AUTHENTICATION_TOKEN',
    message: 'Missing Authentication Token',
    errorType: 'MissingAuthenticationTokenException',
    description: 'REST API: no route (or no stage) matches the method and path.',
  }),
  HTTP_ROUTE_NOT_FOUND: def({
    code: 'GW_ERR_HTTP_ROUTE_NOT_FOUND',
    type: 'RESOURCE_NOT_FOUND',
    message: 'Not Found',
    errorType: 'NotFoundException',
    description: 'HTTP API: no route matches and there is no $default route, or no API/stage matches.',
  }),
  INTEGRATION_TIMEOUT: def({
    code: 'GW_ERR_INTEGRATION_TIMEOUT',
    type: 'INTEGRATION_TIMEOUT',
    message: 'Endpoint request timed out',
    errorType: 'InternalServerErrorException',
    literalBody: {
      rest: '{"message": "Endpoint request timed out"}',
      http: '{"message": "Endpoint request timed out"}',
    },
    description: 'The integration sent no response headers within timeoutMs (default 29 s).',
  }),
  INTEGRATION_FAILURE: def({
    code: 'GW_ERR_INTEGRATION_FAILURE',
    type: 'INTEGRATION_FAILURE',
    status: 500,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
    literalBody: { rest: '{"message": "Internal server error"}', http: '{"message":"Internal Server Error"}' },
    description:
      'The upstream refused or reset the connection, or answered with a malformed response (AWS answers 500).',
  }),
  // Named upstreams (src/upstream): breaker open, nothing to send to. Customised as INTEGRATION_FAILURE.
  UPSTREAM_CIRCUIT_OPEN: def({
    code: 'GW_ERR_UPSTREAM_CIRCUIT_OPEN',
    type: 'INTEGRATION_FAILURE',
    status: 503,
    message: 'Service Unavailable',
    errorType: 'ServiceUnavailableException',
    description: "The upstream's circuit breaker is open: answered at once, with Retry-After, without contacting it.",
  }),
  UPSTREAM_UNAVAILABLE: def({
    code: 'GW_ERR_UPSTREAM_UNAVAILABLE',
    type: 'INTEGRATION_FAILURE',
    status: 503,
    message: 'Service Unavailable',
    errorType: 'ServiceUnavailableException',
    description:
      'The upstream has no target to send to: all drained or weight 0, or all unhealthy with healthCheck.failOpen false.',
  }),
  INTERNAL_ERROR: def({
    code: 'GW_ERR_INTERNAL',
    type: 'API_CONFIGURATION_ERROR',
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
    literalBody: { rest: '{"message": "Internal server error"}', http: '{"message":"Internal Server Error"}' },
    description: 'A policy failed unexpectedly (a bug or an unreachable dependency); the error is logged.',
  }),
  REQUEST_TOO_LARGE: def({
    code: 'GW_ERR_REQUEST_TOO_LARGE',
    type: 'REQUEST_TOO_LARGE',
    message: 'Request Too Long',
    errorType: 'RequestTooLargeException',
    description: 'The request body is larger than server.limits.maxBodyBytes (default 10 MB).',
  }),
  WAF_FILTERED: def({
    code: 'GW_ERR_WAF_FILTERED',
    type: 'WAF_FILTERED',
    message: 'Forbidden',
    errorType: 'ForbiddenException',
    description:
      'A web ACL rule (or its default action) blocked the request; see docs/waf.md. Rules may set their own customResponse.',
  }),
  CACHE_INVALIDATION_DENIED: def({
    code: 'GW_ERR_CACHE_INVALIDATION_DENIED',
    type: 'ACCESS_DENIED',
    message: 'User is not authorized to invalidate the cache',
    errorType: 'AccessDeniedException',
    description:
      'Cache-Control: max-age=0 from a caller not in cache.invalidators, with unauthorizedStrategy FAIL_WITH_403.',
  }),
  // Authorizers and resource policy (src/authorizers, src/ip-policy); bodies per reference §1.2.
  UNAUTHORIZED: def({
    code: 'GW_ERR_UNAUTHORIZED',
    type: 'UNAUTHORIZED',
    message: 'Unauthorized',
    errorType: 'UnauthorizedException',
    description:
      'An authorizer refused the caller: identity source missing, invalid JWT, or the authorizer said "Unauthorized" (JWT failures add www-authenticate).',
  }),
  AUTHORIZER_FORBIDDEN: def({
    code: 'GW_ERR_AUTHORIZER_FORBIDDEN',
    type: 'ACCESS_DENIED',
    message: 'Forbidden',
    errorType: 'AccessDeniedException',
    description:
      'A valid JWT lacks every scope the route requires, or a simple-response authorizer answered isAuthorized: false.',
  }),
  AUTHORIZER_DENY: def({
    code: 'GW_ERR_AUTHORIZER_DENY',
    type: 'ACCESS_DENIED',
    message: 'User is not authorized to access this resource with an explicit deny',
    errorType: 'AccessDeniedException',
    literalBody: {
      rest: '{"Message":"User is not authorized to access this resource with an explicit deny"}',
      http: '{"Message":"User is not authorized to access this resource with an explicit deny"}',
    },
    description:
      "The authorizer's IAM policy has a Deny statement matching the method ARN (or the HTTP authorizer answered 403).",
  }),
  AUTHORIZER_NOT_ALLOWED: def({
    code: 'GW_ERR_AUTHORIZER_NOT_ALLOWED',
    type: 'ACCESS_DENIED',
    message: 'User is not authorized to access this resource',
    errorType: 'AccessDeniedException',
    literalBody: {
      rest: '{"Message":"User is not authorized to access this resource"}',
      http: '{"Message":"User is not authorized to access this resource"}',
    },
    description:
      "The authorizer's IAM policy has no Allow statement matching the method ARN (often a cached policy reused for another route).",
  }),
  AUTHORIZER_FAILURE: def({
    code: 'GW_ERR_AUTHORIZER_FAILURE',
    type: 'AUTHORIZER_FAILURE',
    message: 'null',
    errorType: 'AuthorizerConfigurationException',
    literalBody: { rest: '{"message": null}', http: '{"message":"Internal Server Error"}' },
    description:
      'The authorizer threw an error other than "Unauthorized", timed out, or its HTTP endpoint failed or answered 5xx.',
  }),
  AUTHORIZER_CONFIGURATION_ERROR: def({
    code: 'GW_ERR_AUTHORIZER_CONFIGURATION',
    type: 'AUTHORIZER_CONFIGURATION_ERROR',
    message: 'null',
    errorType: 'AuthorizerConfigurationException',
    literalBody: { rest: '{"message": null}', http: '{"message":"Internal Server Error"}' },
    description:
      'The authorizer could not be invoked (module or export missing, JWKS unreachable) or returned an invalid result.',
  }),
  RESOURCE_POLICY_DENY: def({
    code: 'GW_ERR_RESOURCE_POLICY_DENY',
    type: 'ACCESS_DENIED',
    message: 'User: anonymous is not authorized to perform: execute-api:Invoke on resource: <arn>',
    errorType: 'AccessDeniedException',
    description:
      "The client IP is not in the ip policy's allow list, or is in its deny list. The body is " +
      '{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: <method ARN>"}, ' +
      'with " with an explicit deny" appended for a deny-list match.',
  }),
  // Function integrations (src/functions); reference §1.2, §1.9, LAMBDA-ERR.
  FUNCTION_ERROR: def({
    code: 'GW_ERR_FUNCTION_ERROR',
    type: 'INTEGRATION_FAILURE',
    status: 502,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
    literalBody: { rest: '{"message": "Internal server error"}', http: '{"message": "Internal server error"}' },
    description:
      'REST API function integration: the function threw, crashed (process.exit, out of memory) or returned a malformed ' +
      'proxy response (unknown key, bad statusCode or header value, a non-object).',
  }),
  HTTP_FUNCTION_ERROR: def({
    code: 'GW_ERR_HTTP_FUNCTION_ERROR',
    type: 'INTEGRATION_FAILURE',
    status: 500,
    message: 'Internal Server Error',
    errorType: 'InternalServerErrorException',
    literalBody: { rest: '{"message": "Internal server error"}', http: '{"message":"Internal Server Error"}' },
    description:
      'HTTP API function integration: the function threw, crashed or returned a malformed response (AWS HTTP APIs answer 500).',
  }),
  // Request validation (src/validation); reference §1.2, LS-SNAP-common.
  BAD_REQUEST_PARAMETERS: def({
    code: 'GW_ERR_BAD_REQUEST_PARAMETERS',
    type: 'BAD_REQUEST_PARAMETERS',
    message: 'Missing required request parameters: [<names>]',
    errorType: 'BadRequestException',
    description:
      'Request validation: required header, path or query string parameters are missing; the message lists them, ' +
      'e.g. "Missing required request parameters: [x-header-param, issuer, qs1]".',
  }),
  BAD_REQUEST_BODY: def({
    code: 'GW_ERR_BAD_REQUEST_BODY',
    type: 'BAD_REQUEST_BODY',
    message: 'Invalid request body',
    errorType: 'BadRequestException',
    description: "Request validation: the body does not match the route's JSON Schema model (or is not JSON).",
  }),
  // API keys, throttling and quotas (src/api-keys, src/throttle); docs/access-control.md.
  INVALID_API_KEY: def({
    code: 'GW_ERR_INVALID_API_KEY',
    type: 'INVALID_API_KEY',
    message: 'Forbidden',
    errorType: 'ForbiddenException',
    description:
      'apiKeyRequired route: the API key is missing, unknown, disabled, expired, or in no usage plan of this stage.',
  }),
  THROTTLED: def({
    code: 'GW_ERR_THROTTLED',
    type: 'THROTTLED',
    message: 'Too Many Requests',
    errorType: 'TooManyRequestsException',
    description:
      'A token bucket is empty (usage plan, route, stage or global throttle); sent with Retry-After, RateLimit and RateLimit-Policy.',
  }),
  QUOTA_EXCEEDED: def({
    code: 'GW_ERR_QUOTA_EXCEEDED',
    type: 'QUOTA_EXCEEDED',
    message: 'Limit Exceeded',
    errorType: 'LimitExceededException',
    description:
      'The API key used up its usage plan quota for the current period (DAY, WEEK or MONTH); sent with Retry-After.',
  }),
  // Redis store down under a `closed` failure policy (src/store/failure.ts, docs/cluster.md).
  STORE_UNAVAILABLE: def({
    code: 'GW_ERR_STORE_UNAVAILABLE',
    type: 'API_CONFIGURATION_ERROR',
    status: 503,
    message: 'Service Unavailable',
    errorType: 'ServiceUnavailableException',
    description:
      'Redis could not check a throttle or quota in time and store.failure says closed; sent with Retry-After: 1.',
  }),
} as const satisfies Record<string, GatewayErrorDef>;

export type GatewayErrorName = keyof typeof GATEWAY_ERRORS;
