import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { jose, loadJose } from './jose.js';
import { GATEWAY_ERRORS } from '../../kernel/gateway-errors.js';
import type { RequestContext, Reply, RuntimeDeps } from '../../pipeline/context.js';
import { type IdentitySource, parseIdentitySource, readIdentitySource } from '../identity-source.js';
import { authorizerService } from '../service.js';
import { addUpstreamHeader, type Authorizer, type RouteAuth } from '../types.js';
import { JwksCache, JwksUnavailableError } from './jwks.js';
import { JWT_ASYMMETRIC_ALGS, JWT_HMAC_ALGS, type JwtAuthorizerConfig } from './schema.js';

/** The exactly-one-of and algorithm rules jose cannot check for us; messages for scope.issue. */
export function checkJwtConfig(cfg: JwtAuthorizerConfig): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  const keySources = [cfg.jwksUri !== undefined, cfg.discovery === true, cfg.secret !== undefined].filter(
    Boolean,
  ).length;
  if (cfg.verifyAudience && cfg.audiences.length === 0)
    out.push({ path: ['audiences'], message: 'expected at least one audience (or verifyAudience: false)' });
  if (!cfg.verifyAudience && cfg.audiences.length)
    out.push({
      path: ['verifyAudience'],
      message: 'audiences are not checked with verifyAudience: false; remove one of the two',
    });
  if (keySources !== 1)
    out.push({ path: [], message: 'a jwt authorizer needs exactly one of "jwksUri", "discovery: true" or "secret"' });
  if (cfg.algorithms) {
    const hmac = cfg.algorithms.filter((a) => (JWT_HMAC_ALGS as readonly string[]).includes(a));
    if (cfg.secret === undefined && hmac.length)
      out.push({
        path: ['algorithms'],
        message: `${hmac.join(', ')} need a "secret"; with a key set only RS/PS/ES/EdDSA algorithms are accepted`,
      });
    if (cfg.secret !== undefined && hmac.length !== cfg.algorithms.length)
      out.push({ path: ['algorithms'], message: 'with a "secret" only HS256/HS384/HS512 are accepted' });
  }
  return out;
}

/**
 * The challenge of a refused token, as AWS HTTP APIs send it: `scope` is the route's authorization scopes
 * (empty without; observed: `scope="dev-cognito-admin-api.keitakn.de/admin"` on a route with that scope),
 * then `error="invalid_token"` and a description (DG:http-api-troubleshooting-jwt). Several scopes are
 * space-separated, as RFC 6750 §3 writes them (not recorded on AWS).
 */
const bearer = (description: string, scopes: readonly string[] | undefined) =>
  `Bearer scope="${(scopes ?? []).join(' ')}" error="invalid_token" error_description="${description}"`;

/** A JWT/OIDC authorizer: AWS HTTP API's JWT authorizer (DG:http-api-jwt-authorizer), with HS for shared secrets. */
export class JwtAuthorizer implements Authorizer {
  readonly #cfg: JwtAuthorizerConfig;
  readonly #deps: RuntimeDeps;
  readonly #source: IdentitySource;
  readonly #algorithms: string[];
  readonly #secret: Uint8Array | undefined;
  readonly #audiences: ReadonlySet<string>;
  readonly #claimHeaders: [string, string][];
  #keys: JWTVerifyGetKey | undefined;

  constructor(cfg: JwtAuthorizerConfig, deps: RuntimeDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#source = parseIdentitySource(cfg.identitySource);
    this.#secret = cfg.secret === undefined ? undefined : new TextEncoder().encode(cfg.secret);
    this.#algorithms = cfg.algorithms ?? [...(this.#secret ? JWT_HMAC_ALGS : JWT_ASYMMETRIC_ALGS)];
    this.#audiences = new Set(cfg.audiences);
    this.#claimHeaders = Object.entries(cfg.forwardClaims).map(([claim, header]) => [claim, header.toLowerCase()]);
  }

  authorize(ctx: RequestContext, route: RouteAuth): Promise<Reply | undefined> | Reply {
    const raw = readIdentitySource(ctx, this.#source);
    // RFC 6750 §3.1: a request without credentials gets a bare challenge.
    if (raw === undefined) return { error: GATEWAY_ERRORS.UNAUTHORIZED, headers: { 'www-authenticate': 'Bearer' } };
    // Cognito sends the raw JWT; others prefix "Bearer ".
    const token = raw.replace(/^bearer\s+/i, '').trim();
    return this.#verify(ctx, token, route);
  }

  async #verify(ctx: RequestContext, token: string, route: RouteAuth): Promise<Reply | undefined> {
    let payload: JWTPayload;
    try {
      const { jwtVerify } = await loadJose();
      ({ payload } = await jwtVerify(token, this.#secret ?? this.#keySet(), {
        issuer: this.#cfg.issuer,
        algorithms: this.#algorithms,
        clockTolerance: this.#cfg.clockSkewSeconds,
        currentDate: new Date(this.#deps.clock.now()),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof JwksUnavailableError) {
        this.#deps.log.error({ err, requestId: ctx.requestId }, 'jwt authorizer: cannot fetch the key set');
        return { error: GATEWAY_ERRORS.AUTHORIZER_CONFIGURATION_ERROR };
      }
      return {
        error: GATEWAY_ERRORS.UNAUTHORIZED,
        headers: { 'www-authenticate': bearer(describe(err, token), route.scopes) },
      };
    }
    // AWS: "aud" must match an audience; "client_id" is checked only when there is no "aud".
    const aud = payload.aud ?? payload.client_id;
    const auds = Array.isArray(aud) ? aud : [aud];
    if (this.#cfg.verifyAudience && !auds.some((a) => typeof a === 'string' && this.#audiences.has(a)))
      return {
        error: GATEWAY_ERRORS.UNAUTHORIZED,
        headers: { 'www-authenticate': bearer('the token does not have a valid audience', route.scopes) },
      };
    const scopes = scopesOf(payload);
    if (route.scopes && route.scopes.length && !route.scopes.some((s) => scopes.includes(s))) {
      const want = route.scopes.join(' ');
      return {
        error: GATEWAY_ERRORS.AUTHORIZER_FORBIDDEN,
        headers: {
          'www-authenticate': `Bearer scope="${want}" error="insufficient_scope" error_description="expected scopes: [${want}]"`,
        },
      };
    }
    ctx.identity.principalId = typeof payload.sub === 'string' ? payload.sub : undefined;
    ctx.identity.claims = payload;
    ctx.identity.scopes = scopes;
    for (const [claim, header] of this.#claimHeaders) {
      const v = payload[claim];
      if (v !== undefined && v !== null) addUpstreamHeader(ctx, header, typeof v === 'string' ? v : JSON.stringify(v));
    }
    return undefined;
  }

  /** The shared, reload-surviving key-set cache for this issuer's settings (looked up at first use). */
  #keySet(): JWTVerifyGetKey {
    if (this.#keys) return this.#keys;
    const svc = authorizerService(this.#deps);
    const cfg = this.#cfg;
    const id = JSON.stringify([
      cfg.jwksUri ?? `discovery:${cfg.issuer}`,
      cfg.jwksCacheSeconds,
      cfg.jwksRefetchCooldownSeconds,
    ]);
    let cache = svc.jwks.get(id);
    if (!cache) {
      cache = new JwksCache(cfg.jwksUri ? { jwksUri: cfg.jwksUri } : { discoveryIssuer: cfg.issuer }, {
        agent: svc.agent,
        clock: svc.clock,
        maxAgeMs: cfg.jwksCacheSeconds * 1000,
        cooldownMs: cfg.jwksRefetchCooldownSeconds * 1000,
      });
      svc.jwks.set(id, cache);
    }
    return (this.#keys = cache.getKey);
  }
}

/** "scope" (space-separated, or a list) and "scp" (a list, or space-separated), as AWS reads them. */
export function scopesOf(payload: JWTPayload): string[] {
  const out: string[] = [];
  for (const v of [payload.scope, payload.scp]) {
    if (typeof v === 'string') out.push(...v.split(' ').filter(Boolean));
    else if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') out.push(s);
  }
  return out;
}

/** The error_description of the challenge; never echoes token content. */
function describe(err: unknown, token: string): string {
  const { errors } = jose();
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'the token is not valid yet';
    if (err.claim === 'iss') return 'the token does not have a valid issuer';
    if (err.claim === 'exp') return 'the token has no expiry';
    return `the token has an invalid "${err.claim}" claim`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return `signing method ${safeAlg(token)} is invalid`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer matches the token';
  // Observed on AWS for `Authorization: Bearer not-a-token` (the Go JWT library's message).
  if (token.split('.').length !== 3) return 'token contains an invalid number of segments';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported)
    return 'the token is malformed';
  return 'the token is invalid';
}

function safeAlg(token: string): string {
  try {
    const h = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof h.alg === 'string' && /^[A-Za-z0-9]{1,16}$/.test(h.alg) ? h.alg : 'unknown';
  } catch {
    return 'unknown';
  }
}
