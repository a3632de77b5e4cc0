import { mapBinaryMediaTypes, mapCors } from './api-settings.js';
import {
  type AuthImportOptions,
  authorizerName,
  type MappedAuthorizer,
  mapAuthorizer,
  type RouteAccess,
  routeAccessFields,
} from './authorizers.js';
import { hasUnresolved } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';
import { ImportReport, pointer } from './report.js';
import { mapValidator, requestValidation, requiredFromRequestParameters } from './validators.js';

/**
 * The CloudFormation side of authorizers, API keys, request validation, CORS and binary media types:
 * AWS::ApiGateway::Authorizer / RequestValidator / Model, AWS::ApiGatewayV2::Authorizer and
 * ApiGatewayManagedOverrides, and the access and validation properties of RestApi, Method, Api and Route.
 * cloudformation.ts calls it at each step; the mapping itself is shared with the OpenAPI importer.
 */

export interface CfnBuild {
  logical: string;
  api: Json;
  routes: Json[];
}

type ById = (t: string) => [string, unknown][];
type FindBuild = (apiRef: unknown) => CfnBuild | undefined;

const BODY_FIELDS = [
  'authorizers',
  'apiKeySource',
  'apiKeyHeader',
  'models',
  'requestValidators',
  'requestValidator',
  'cors',
  'binaryMediaTypes',
];

/** x-amazon-apigateway-authorizer keys → CloudFormation's, so notes point into the template. */
const KEYS: Record<string, string> = {
  authorizerUri: 'AuthorizerUri',
  identitySource: 'IdentitySource',
  identityValidationExpression: 'IdentityValidationExpression',
  providerARNs: 'ProviderARNs',
  jwtConfiguration: 'JwtConfiguration',
  authorizerPayloadFormatVersion: 'AuthorizerPayloadFormatVersion',
};

interface Known {
  api: string;
  name: string;
}

export class CfnAccess {
  /** Authorizer logical id → its API and our name; the mapping result by our name per API. */
  readonly #authorizers = new Map<string, Known>();
  readonly #mapped = new Map<string, Map<string, MappedAuthorizer>>();
  readonly #validators = new Map<string, Known>();
  readonly #models = new Map<string, Known>();

  constructor(
    private readonly byType: ById,
    private readonly props: (id: string) => Json,
    private readonly missingFor: (id: string) => string,
    private readonly report: ImportReport,
    private readonly opts: AuthImportOptions,
  ) {}

  /** RestApi `ApiKeySourceType` and `BinaryMediaTypes` (they override the Body's, as on AWS). */
  restApi(build: CfnBuild, p: Json, at: string): void {
    if (p.ApiKeySourceType !== undefined) {
      const s = String(p.ApiKeySourceType).toUpperCase();
      if (s === 'HEADER' || s === 'AUTHORIZER') build.api.apiKeySource = s;
      else
        this.report.unsupported(
          `${at}/ApiKeySourceType`,
          'ApiKeySourceType',
          `expected HEADER or AUTHORIZER, got "${String(p.ApiKeySourceType)}"`,
        );
    }
    if (p.BinaryMediaTypes !== undefined) {
      const types = mapBinaryMediaTypes(p.BinaryMediaTypes, `${at}/BinaryMediaTypes`, this.report);
      if (types.length) build.api.binaryMediaTypes = types;
    }
  }

  /** AWS::ApiGateway::Authorizer, RequestValidator and Model of the REST APIs. */
  restDefinitions(restBuild: FindBuild): void {
    for (const [id] of this.byType('AWS::ApiGateway::Authorizer')) {
      const p = this.props(id);
      const ext = {
        type: p.Type,
        authorizerUri: p.AuthorizerUri,
        identitySource: p.IdentitySource,
        identityValidationExpression: p.IdentityValidationExpression,
        authorizerResultTtlInSeconds: p.AuthorizerResultTtlInSeconds,
        providerARNs: p.ProviderARNs,
      };
      this.#authorizer(id, p, restBuild(p.RestApiId), ext, { ...KEYS, type: 'Type' });
    }
    for (const [id] of this.byType('AWS::ApiGateway::RequestValidator')) {
      const p = this.props(id);
      const build = restBuild(p.RestApiId);
      if (!build) {
        this.#orphan(id, 'RestApiId');
        continue;
      }
      const name = typeof p.Name === 'string' && p.Name && !hasUnresolved(p.Name) ? p.Name : id;
      ((build.api.requestValidators ??= {}) as Json)[name] = mapValidator({
        validateRequestBody: p.ValidateRequestBody,
        validateRequestParameters: p.ValidateRequestParameters,
      });
      this.#validators.set(id, { api: build.logical, name });
    }
    for (const [id] of this.byType('AWS::ApiGateway::Model')) {
      const p = this.props(id);
      const build = restBuild(p.RestApiId);
      if (!build) {
        this.#orphan(id, 'RestApiId');
        continue;
      }
      const at = pointer('Resources', id, 'Properties');
      let schema: unknown = p.Schema;
      if (typeof schema === 'string') {
        try {
          schema = JSON.parse(schema);
        } catch {
          schema = undefined;
        }
      }
      const name = typeof p.Name === 'string' && /^[A-Za-z0-9_.-]{1,128}$/.test(p.Name) ? p.Name : id;
      if (!isObj(schema) || hasUnresolved(schema)) {
        this.report.unsupported(
          `${at}/Schema`,
          'AWS::ApiGateway::Model',
          `the schema is not a JSON object${hasUnresolved(schema) ? ` (needs ${this.missingFor(id)})` : ''}; model left out`,
        );
        continue;
      }
      ((build.api.models ??= {}) as Json)[name] = schema;
      this.#models.set(id, { api: build.logical, name });
    }
  }

  /** Access and validation fields of an AWS::ApiGateway::Method, or undefined when it must be left out. */
  method(build: CfnBuild, p: Json, at: string): Json | undefined {
    const access = this.#access(build, p, at, ['CUSTOM', 'COGNITO_USER_POOLS']);
    if (!access) return undefined;
    if (p.ApiKeyRequired === true || p.ApiKeyRequired === 'true') access.apiKeyRequired = true;
    const fields = this.#fields(build, access, at);
    if (!fields) return undefined;
    if (p.RequestValidatorId === undefined) return fields;
    const validator = this.#validators.get(String(p.RequestValidatorId));
    if (!validator || validator.api !== build.logical) {
      this.report.unsupported(
        `${at}/RequestValidatorId`,
        'RequestValidatorId',
        `${String(p.RequestValidatorId)} is not a RequestValidator of this API; not validated`,
      );
      return fields;
    }
    let body: Json | undefined;
    if (isObj(p.RequestModels)) {
      const entries = Object.entries(p.RequestModels);
      const json =
        entries.find(([ct]) => ct.toLowerCase() === 'application/json') ?? entries.find(([ct]) => /json/i.test(ct));
      if (json) {
        // Ref of a Model is its name; our evaluator gives the logical id.
        const model = this.#models.get(String(json[1]));
        const name = model?.api === build.logical ? model.name : String(json[1]);
        if (isObj(build.api.models) && name in build.api.models) body = { bodyModel: name };
        else
          this.report.unsupported(
            `${at}/RequestModels`,
            'RequestModels',
            `model "${name}" is not defined in this template; the body is not validated`,
          );
      }
      const others = entries.filter((e) => e !== json).map(([ct]) => ct);
      if (others.length)
        this.report.approximated(
          `${at}/RequestModels`,
          'RequestModels',
          `only the JSON model is checked; ${others.join(', ')} bodies are not validated`,
        );
    }
    const validation = requestValidation(validator.name, requiredFromRequestParameters(p.RequestParameters), body);
    return validation ? { ...fields, requestValidation: validation } : fields;
  }

  /** What the OpenAPI importer mapped from an HTTP API's Body that this module owns (authorizers, CORS, ...). */
  bodyFields(build: CfnBuild, api: Json): void {
    for (const key of BODY_FIELDS) if (api[key] !== undefined) build.api[key] = api[key];
  }

  /** AWS::ApiGatewayV2::Api `CorsConfiguration`. */
  httpApi(build: CfnBuild, p: Json, at: string): void {
    if (isObj(p.CorsConfiguration))
      build.api.cors = mapCors(p.CorsConfiguration, `${at}/CorsConfiguration`, this.report);
  }

  /** AWS::ApiGatewayV2::Authorizer (JWT, REQUEST). */
  httpDefinitions(httpBuild: FindBuild): void {
    for (const [id] of this.byType('AWS::ApiGatewayV2::Authorizer')) {
      const p = this.props(id);
      const jwt = isObj(p.JwtConfiguration) ? p.JwtConfiguration : undefined;
      const ext = {
        type: p.AuthorizerType,
        authorizerUri: p.AuthorizerUri,
        identitySource: p.IdentitySource,
        authorizerResultTtlInSeconds: p.AuthorizerResultTtlInSeconds,
        authorizerPayloadFormatVersion: p.AuthorizerPayloadFormatVersion,
        jwtConfiguration: jwt ? { issuer: jwt.Issuer, audience: jwt.Audience } : undefined,
      };
      this.#authorizer(id, p, httpBuild(p.ApiId), ext, { ...KEYS, type: 'AuthorizerType' });
    }
  }

  /** Access fields of an AWS::ApiGatewayV2::Route, or undefined when it must be left out. */
  route(build: CfnBuild, p: Json, at: string): Json | undefined {
    const access = this.#access(build, p, at, ['JWT', 'CUSTOM']);
    return access ? this.#fields(build, access, at) : undefined;
  }

  /** AWS::ApiGatewayV2::ApiGatewayManagedOverrides: the quick-create route's authorization. */
  overrides(httpBuild: FindBuild): void {
    for (const [id] of this.byType('AWS::ApiGatewayV2::ApiGatewayManagedOverrides')) {
      const p = this.props(id);
      const at = pointer('Resources', id, 'Properties');
      const build = httpBuild(p.ApiId);
      for (const key of ['Integration', 'Stage'])
        if (p[key] !== undefined)
          this.report.unsupported(`${at}/${key}`, 'ApiGatewayManagedOverrides', `${key} overrides are not mapped`);
      if (!build) this.#orphan(id, 'ApiId');
      if (!build || !isObj(p.Route)) continue;
      const key = this.props(build.logical).RouteKey ?? '$default';
      const index = build.routes.findIndex((r) => r.route === key);
      if (index === -1) {
        this.report.unsupported(
          `${at}/Route`,
          'ApiGatewayManagedOverrides',
          'the API has no imported quick-create route to override',
        );
        continue;
      }
      const fields = this.route(build, p.Route, `${at}/Route`);
      if (fields) Object.assign(build.routes[index] as Json, fields);
      else build.routes.splice(index, 1);
    }
  }

  #authorizer(id: string, p: Json, build: CfnBuild | undefined, ext: Json, keys: Record<string, string>): void {
    if (!build) {
      this.#orphan(id, p.RestApiId !== undefined ? 'RestApiId' : 'ApiId');
      return;
    }
    const at = pointer('Resources', id, 'Properties');
    const name = authorizerName(typeof p.Name === 'string' && !hasUnresolved(p.Name) ? p.Name : id, id);
    this.#authorizers.set(id, { api: build.logical, name });
    let byName = this.#mapped.get(build.logical);
    if (!byName) this.#mapped.set(build.logical, (byName = new Map()));
    let mapped: MappedAuthorizer;
    if (hasUnresolved(ext)) mapped = { reason: `depends on values the template can't know: ${this.missingFor(id)}` };
    else {
      const before = this.report.notes.length;
      mapped = mapAuthorizer(ext, at, [id, name, typeof p.Name === 'string' ? p.Name : id], this.report, this.opts);
      for (const n of this.report.notes.slice(before)) {
        const [key = '', ...rest] = n.pointer.slice(at.length + 1).split('/');
        if (keys[key]) n.pointer = [at, keys[key], ...rest].join('/');
      }
    }
    byName.set(name, mapped);
    if ('reason' in mapped) this.report.unsupported(at, 'authorizer', `${mapped.reason}; routes using it are left out`);
    else ((build.api.authorizers ??= {}) as Json)[name] = mapped.config;
  }

  /** A resource of an API this template does not define (or one not imported, e.g. a WebSocket API). */
  #orphan(id: string, key: string): void {
    this.report.unsupported(
      pointer('Resources', id, 'Properties', key),
      'API',
      `${key} does not name an API imported from this template; ignored`,
    );
  }

  /** AuthorizationType / AuthorizerId / AuthorizationScopes → who the route needs, or undefined (reported) to leave it out. */
  #access(build: CfnBuild, p: Json, at: string, types: string[]): RouteAccess | undefined {
    const type = String(p.AuthorizationType ?? 'NONE').toUpperCase();
    const access: RouteAccess = {};
    if (type === 'NONE') return access;
    if (type === 'AWS_IAM') {
      this.report.unsupported(
        `${at}/AuthorizationType`,
        'AuthorizationType',
        'IAM authorization (SigV4) is not supported; left out',
      );
      return undefined;
    }
    if (!types.includes(type)) {
      this.report.unsupported(
        `${at}/AuthorizationType`,
        'AuthorizationType',
        `unknown authorization type ${type}; left out`,
      );
      return undefined;
    }
    const known = this.#authorizers.get(String(p.AuthorizerId));
    if (!known || known.api !== build.logical) {
      this.report.unsupported(
        `${at}/AuthorizerId`,
        'AuthorizerId',
        `${String(p.AuthorizerId)} is not an authorizer of this API in the template; left out`,
      );
      return undefined;
    }
    access.authorizer = known.name;
    if (Array.isArray(p.AuthorizationScopes) && p.AuthorizationScopes.length)
      access.scopes = p.AuthorizationScopes.map(String);
    return access;
  }

  #fields(build: CfnBuild, access: RouteAccess, at: string): Json | undefined {
    const fields = routeAccessFields(
      access,
      this.#mapped.get(build.logical) ?? new Map(),
      `${at}/AuthorizationScopes`,
      this.report,
    );
    if (typeof fields === 'string') {
      this.report.unsupported(`${at}/AuthorizerId`, 'AuthorizerId', `${fields}; left out`);
      return undefined;
    }
    return fields;
  }
}
