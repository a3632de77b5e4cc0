import { isObj, type Json } from './json.js';
import { ImportReport, pointer } from './report.js';

/**
 * API Gateway authorizers and API-key requirements → our `authorizers`, route `authorizer` /
 * `authorizationScopes` / `apiKeyRequired` and API `apiKeySource` / `apiKeyHeader`. Shared by both importers:
 * an authorizer is first brought to the x-amazon-apigateway-authorizer form (camelCase), then mapped here.
 * Lambda authorizers run here as local functions (`--authorizer-function ID=./file.js#export`); Cognito user
 * pools and JWT issuers become `jwt` authorizers (`--jwks ID=URL` points them at another key set).
 * A route whose authorizer cannot be mapped is left out, never served open.
 */

export interface AuthImportOptions {
  /** Authorizer id → local function, `./auth.js#handler`. The id is the authorizer's name, its logical id
   *  (CloudFormation), the Lambda function's name or ARN, or the logical id of the function resource. */
  authorizerFunctions?: Readonly<Record<string, string>>;
  /** Authorizer id (name, logical id, issuer or Cognito user pool ARN/id) → JWKS URL replacing the issuer's. */
  jwks?: Readonly<Record<string, string>>;
}

export type MappedAuthorizer = { config: Json; scopes: boolean } | { reason: string };

const AUTHORIZER_NAME = /[^A-Za-z0-9_.-]+/g;

export function authorizerName(name: string, fallback: string): string {
  return name.replace(AUTHORIZER_NAME, '-').slice(0, 128) || fallback;
}

/** The Lambda function ARN inside an authorizerUri (`arn:aws:apigateway:{r}:lambda:path/2015-03-31/functions/{fn}/invocations`). */
export function lambdaOf(uri: unknown): { arn: string; name: string } | undefined {
  if (typeof uri !== 'string') return undefined;
  const m = /:lambda:path\/[^/]+\/functions\/(.+?)\/invocations$/.exec(uri);
  const arn = m ? (m[1] as string) : uri.startsWith('arn:') ? uri : undefined;
  if (!arn) return undefined;
  // arn:aws:lambda:{r}:{acct}:function:{name}[:alias]; our CloudFormation evaluator gives arn:aws:resource:::{Logical}.
  const name = /:function:([^:/]+)/.exec(arn)?.[1] ?? /^arn:aws:resource:::(.+)$/.exec(arn)?.[1] ?? arn;
  return { arn, name };
}

/** REST `method.request.header.X` / `method.request.querystring.Y` (comma-separated) or HTTP `$request.header.X` → ours. */
export function identitySources(src: unknown, at: string, report: ImportReport): string[] {
  const list = Array.isArray(src) ? src.map(String) : typeof src === 'string' ? src.split(',') : [];
  const out: string[] = [];
  for (const raw of list.map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:method\.request|\$request)\.(header|querystring)\.(.+)$/.exec(raw);
    if (m) out.push(`$request.${m[1]}.${m[2]}`);
    else
      report.approximated(
        at,
        'identitySource',
        `"${raw}" (stage variable or context) cannot be an identity source here; left out`,
      );
  }
  return out;
}

function lookup(ids: (string | undefined)[], map: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!map) return undefined;
  for (const id of ids) if (id !== undefined && map[id] !== undefined) return map[id];
  return undefined;
}

/** `arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}` → the pool's issuer URL. */
export function cognitoIssuer(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):\d*:userpool\/([A-Za-z0-9_-]+)$/.exec(arn);
  return m ? `https://cognito-idp.${m[1]}.amazonaws.com/${m[2]}` : undefined;
}

/**
 * One authorizer in x-amazon-apigateway-authorizer form → our config, or why not. `ids` are the names the
 * command-line mappings may use for it; `header` is the default identity header (the security scheme's `name`).
 */
export function mapAuthorizer(
  auth: Json,
  at: string,
  ids: string[],
  report: ImportReport,
  opts: AuthImportOptions,
  header = 'Authorization',
): MappedAuthorizer {
  const type = String(auth.type ?? '').toLowerCase();
  if (type === 'token' || type === 'request') {
    const fn = lambdaOf(auth.authorizerUri);
    const handler = lookup([...ids, fn?.name, fn?.arn], opts.authorizerFunctions);
    if (!handler) {
      const id = ids[0] ?? fn?.name ?? 'ID';
      return {
        reason: `Lambda authorizer${fn ? ` ${fn.name}` : ''} has no local function; pass --authorizer-function ${id}=./file.js#handler`,
      };
    }
    const cfg: Json = { type: 'function', function: handler, eventType: type === 'token' ? 'TOKEN' : 'REQUEST' };
    const sources = identitySources(auth.identitySource, `${at}/identitySource`, report);
    if (type === 'token') {
      cfg.identitySource = [sources[0] ?? `$request.header.${header}`];
      if (sources.length > 1)
        report.approximated(
          `${at}/identitySource`,
          'identitySource',
          'a TOKEN authorizer reads one source; the first is used',
        );
    } else if (sources.length) cfg.identitySource = sources;
    if (typeof auth.identityValidationExpression === 'string' && auth.identityValidationExpression) {
      if (type === 'token') cfg.identityValidationExpression = auth.identityValidationExpression;
      else
        report.approximated(
          `${at}/identityValidationExpression`,
          'identityValidationExpression',
          'AWS applies it to TOKEN authorizers only; ignored',
        );
    }
    const ttl = Number(auth.authorizerResultTtlInSeconds);
    if (auth.authorizerResultTtlInSeconds !== undefined && Number.isInteger(ttl) && ttl >= 0 && ttl <= 3600)
      cfg.resultTtlSeconds = ttl;
    if (String(auth.authorizerPayloadFormatVersion ?? '') === '2.0') {
      report.approximated(
        `${at}/authorizerPayloadFormatVersion`,
        'authorizerPayloadFormatVersion',
        'the function gets the REST (1.0) REQUEST event; both IAM policies and simple responses are accepted',
      );
    }
    return { config: cfg, scopes: false };
  }
  if (type === 'cognito_user_pools') {
    const arns = Array.isArray(auth.providerARNs) ? auth.providerARNs.map(String) : [];
    const issuer = arns.length ? cognitoIssuer(arns[0] as string) : undefined;
    if (!issuer)
      return {
        reason: `providerARNs ${arns.length ? `"${arns[0]}" is not a user pool ARN (arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID)` : 'are missing'}`,
      };
    if (arns.length > 1)
      report.approximated(`${at}/providerARNs`, 'providerARNs', `only the first user pool is trusted (${issuer})`);
    const poolId = issuer.slice(issuer.lastIndexOf('/') + 1);
    const jwksUri = lookup([...ids, arns[0], poolId, issuer], opts.jwks) ?? `${issuer}/.well-known/jwks.json`;
    const cfg: Json = { type: 'jwt', issuer, verifyAudience: false, jwksUri };
    const sources = identitySources(auth.identitySource, `${at}/identitySource`, report);
    const source = sources[0] ?? `$request.header.${header}`;
    if (source !== '$request.header.Authorization') cfg.identitySource = source;
    return { config: cfg, scopes: true };
  }
  if (type === 'jwt') {
    const jwt = isObj(auth.jwtConfiguration) ? auth.jwtConfiguration : {};
    const issuer = typeof jwt.issuer === 'string' ? jwt.issuer : undefined;
    if (!issuer) return { reason: 'jwtConfiguration.issuer is missing' };
    const audiences = (
      Array.isArray(jwt.audience) ? jwt.audience : jwt.audience !== undefined ? [jwt.audience] : []
    ).map(String);
    if (!audiences.length) return { reason: 'jwtConfiguration.audience is missing' };
    const cfg: Json = { type: 'jwt', issuer, audiences };
    const override = lookup([...ids, issuer], opts.jwks);
    // AWS finds the key set by OIDC discovery; a Cognito issuer publishes it at the same well-known place.
    if (override) cfg.jwksUri = override;
    else if (/^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[A-Za-z0-9_-]+$/.test(issuer))
      cfg.jwksUri = `${issuer}/.well-known/jwks.json`;
    else cfg.discovery = true;
    const sources = identitySources(auth.identitySource, `${at}/identitySource`, report);
    if (sources.length > 1)
      report.approximated(
        `${at}/identitySource`,
        'identitySource',
        'a JWT authorizer reads one source; the first is used',
      );
    if (sources[0] && sources[0] !== '$request.header.Authorization') cfg.identitySource = sources[0];
    return { config: cfg, scopes: true };
  }
  return { reason: `authorizer type "${String(auth.type)}" is not supported` };
}

/** How one route is protected, as both importers find it. */
export interface RouteAccess {
  /** Our authorizer name, when the route has one. */
  authorizer?: string;
  scopes?: string[];
  apiKeyRequired?: boolean;
}

/** Route fields for a mapped authorizer, or the reason it must be left out. */
export function routeAccessFields(
  access: RouteAccess,
  authorizers: ReadonlyMap<string, MappedAuthorizer>,
  at: string,
  report: ImportReport,
): Json | string {
  const out: Json = {};
  if (access.authorizer !== undefined) {
    const a = authorizers.get(access.authorizer);
    if (!a) return `authorizer "${access.authorizer}" is not defined`;
    if ('reason' in a) return `authorizer "${access.authorizer}" is not mapped (${a.reason})`;
    out.authorizer = access.authorizer;
    if (access.scopes?.length) {
      if (a.scopes) out.authorizationScopes = access.scopes;
      else
        report.approximated(
          at,
          'authorization scopes',
          `scopes ${access.scopes.join(', ')} apply to Cognito and JWT authorizers only; ignored, as AWS does`,
        );
    }
  }
  if (access.apiKeyRequired) out.apiKeyRequired = true;
  return out;
}

/**
 * OpenAPI `securityDefinitions` / `components.securitySchemes` and `security` requirements. Root `security`
 * applies to operations without their own; `security: []` opens an operation.
 */
export class OpenApiSecurity {
  readonly #authorizers = new Map<string, MappedAuthorizer>();
  /** Scheme name → our authorizer name (only schemes that are authorizers). */
  readonly #schemeAuthorizer = new Map<string, string>();
  readonly #apiKeySchemes = new Set<string>();
  /** Schemes API Gateway does not enforce (plain OAuth2/OIDC/http), or IAM (unsupported). */
  readonly #other = new Map<string, 'ignored' | 'iam'>();
  readonly #api: Json = {};
  readonly #root: unknown;

  /** `own`: the document is our export, whose `x-portico-authorizer` carries the exact config (a foreign one's is not trusted: it names a module to run). */
  constructor(
    doc: Json,
    private readonly report: ImportReport,
    opts: AuthImportOptions,
    own: boolean,
  ) {
    const v2 = isObj(doc.securityDefinitions);
    const schemes = v2
      ? doc.securityDefinitions
      : isObj(doc.components) && isObj(doc.components.securitySchemes)
        ? doc.components.securitySchemes
        : {};
    const base = v2 ? ['securityDefinitions'] : ['components', 'securitySchemes'];
    this.#root = doc.security;
    for (const [name, scheme] of Object.entries(schemes as Json)) {
      if (!isObj(scheme)) continue;
      const at = pointer(...base, name);
      const authType = String(scheme['x-amazon-apigateway-authtype'] ?? '').toLowerCase();
      const ext = scheme['x-amazon-apigateway-authorizer'];
      const exact = isObj(scheme['x-portico-authorizer']) ? scheme['x-portico-authorizer'] : undefined;
      if (isObj(ext) || exact) {
        const ours = authorizerName(name, 'authorizer');
        const header = scheme.in === 'header' && typeof scheme.name === 'string' ? scheme.name : undefined;
        const extAt = isObj(ext) ? `${at}/x-amazon-apigateway-authorizer` : at;
        const mapped: MappedAuthorizer =
          exact && own
            ? { config: exact, scopes: exact.type === 'jwt' }
            : isObj(ext)
              ? mapAuthorizer(ext, extAt, [name, ours], report, opts, header)
              : {
                  reason:
                    'x-portico-authorizer is read only from documents written by `portico export openapi` (with x-portico)',
                };
        if ('reason' in mapped)
          report.unsupported(extAt, 'authorizer', `${mapped.reason}; routes using it are left out`);
        else ((this.#api.authorizers ??= {}) as Json)[ours] = mapped.config;
        this.#authorizers.set(ours, mapped);
        this.#schemeAuthorizer.set(name, ours);
      } else if (authType === 'awssigv4' || authType === 'aws_iam') {
        this.#other.set(name, 'iam');
      } else if (scheme.type === 'apiKey') {
        this.#apiKeySchemes.add(name);
        const header = typeof scheme.name === 'string' ? scheme.name : 'x-api-key';
        if (scheme.in !== 'header')
          report.approximated(
            at,
            'API key',
            `API keys are read from a header; "${header}" in ${String(scheme.in)} is read as a header`,
          );
        if (header.toLowerCase() !== 'x-api-key') this.#api.apiKeyHeader = header;
      } else {
        this.#other.set(name, 'ignored');
        report.approximated(
          at,
          'security scheme',
          `a ${String(scheme.type)} scheme without x-amazon-apigateway-authorizer is not enforced by API Gateway; ignored`,
        );
      }
    }
    const source = doc['x-amazon-apigateway-api-key-source'];
    if (source !== undefined) {
      const s = String(source).toUpperCase();
      if (s === 'HEADER' || s === 'AUTHORIZER') {
        if (s === 'AUTHORIZER') this.#api.apiKeySource = s;
      } else
        report.unsupported(
          pointer('x-amazon-apigateway-api-key-source'),
          'x-amazon-apigateway-api-key-source',
          `expected HEADER or AUTHORIZER, got "${String(source)}"`,
        );
    }
  }

  /** API-level fields: `authorizers`, `apiKeySource`, `apiKeyHeader`. */
  apiFields(): Json {
    return this.#api;
  }

  /** The route's access fields, or undefined when it must be left out (reported at `at`). */
  route(op: Json, at: string): Json | undefined {
    const own = op.security !== undefined;
    const requirements = own ? op.security : this.#root;
    const where = own ? `${at}/security` : at;
    const access: RouteAccess = {};
    const leaveOut = (why: string) => {
      this.report.unsupported(where, 'security', `${why}${own ? '' : ' (root security)'}; route left out`);
      return undefined;
    };
    const auth = op['x-amazon-apigateway-auth'];
    if (isObj(auth) && String(auth.type ?? '').toUpperCase() === 'AWS_IAM') {
      this.report.unsupported(
        `${at}/x-amazon-apigateway-auth`,
        'x-amazon-apigateway-auth',
        'IAM authorization (SigV4) is not supported; route left out',
      );
      return undefined;
    }
    for (const req of Array.isArray(requirements) ? requirements : []) {
      if (!isObj(req)) continue;
      for (const [name, scopes] of Object.entries(req)) {
        const authorizer = this.#schemeAuthorizer.get(name);
        if (authorizer !== undefined) {
          if (access.authorizer === undefined) {
            access.authorizer = authorizer;
            if (Array.isArray(scopes) && scopes.length) access.scopes = scopes.map(String);
          } else if (access.authorizer !== authorizer) {
            this.report.approximated(
              where,
              'security',
              `a method has one authorizer in API Gateway; "${name}" is ignored, "${access.authorizer}" is used`,
            );
          }
        } else if (this.#apiKeySchemes.has(name)) access.apiKeyRequired = true;
        else if (this.#other.get(name) === 'iam')
          return leaveOut(`"${name}" is IAM (SigV4) authorization, which is not supported`);
        else if (!this.#other.has(name))
          this.report.unsupported(where, 'security', `"${name}" is not a defined security scheme; ignored`);
      }
    }
    const fields = routeAccessFields(access, this.#authorizers, where, this.report);
    return typeof fields === 'string' ? leaveOut(fields) : fields;
  }
}
