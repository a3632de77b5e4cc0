/**
 * Request validation (the 'validation' phase), as API Gateway's request validators: required path, query
 * string and header parameters, then the body against a JSON Schema draft-04 model. Messages are AWS's, byte
 * for byte (reference §1.2, LS-SNAP-common): 400 "Missing required request parameters: [a, b]" and
 * 400 "Invalid request body". See docs/aws-compatibility.md#request-validation.
 */
import type { ValidateFunction } from 'ajv';
import type { ApiConfig } from '../config/schema.js';
import { GATEWAY_ERRORS, type GatewayErrorDef } from '../kernel/gateway-errors.js';
import { BodyTooLargeError, bufferBody } from '../pipeline/body.js';
import { exceedsJsonDepth } from '../pipeline/json-limits.js';
import type { RequestContext, Policy, Reply } from '../pipeline/context.js';
import type { PolicyFactory, RouteScope } from '../pipeline/policy.js';
import { createHash } from 'node:crypto';
import type { BodyTask } from './body-thread.js';
import { BodyQueueFullError, OFF_THREAD_BYTES, validateOffThread } from './body-threads.js';
import { ModelSet } from './models.js';
import type { RequestValidationConfig } from './schema.js';

type Location = 'header' | 'path' | 'querystring';
type ValidationApi = ApiConfig & {
  models: Record<string, Record<string, unknown>>;
  requestValidators: Record<string, { validateRequestBody: boolean; validateRequestParameters: boolean }>;
  requestValidator?: string;
};

/** One ModelSet per API object of a compile: models are compiled once, not per route and stage. */
const modelSets = new WeakMap<object, ModelSet>();
/** The digest of an API's models, once per API object (a worker thread's validator key starts with it). */
const modelDigests = new WeakMap<object, string>();

const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('base64url');

function modelSetFor(scope: RouteScope): ModelSet {
  const api = scope.api as ValidationApi;
  let set = modelSets.get(api);
  if (!set) {
    set = new ModelSet(api.models ?? {});
    modelSets.set(api, set);
    for (const [name, msg] of set.errors)
      scope.issue(scope.at('models', name), `invalid JSON Schema (draft-04): ${msg}`);
  }
  return set;
}

const BAD_BODY: Reply = { error: GATEWAY_ERRORS.BAD_REQUEST_BODY };
const TOO_LARGE: Reply = { error: GATEWAY_ERRORS.REQUEST_TOO_LARGE, headers: { connection: 'close' } };
const BUSY: Reply = { error: GATEWAY_ERRORS.THROTTLED, headers: { 'retry-after': '1' } };

/** What a worker thread needs to build the same validator: the API's models and the model name or inline schema. */
type BodySource = Omit<BodyTask, 'body'>;

export function missingParametersReply(names: readonly string[]): Reply {
  const error: GatewayErrorDef = {
    ...GATEWAY_ERRORS.BAD_REQUEST_PARAMETERS,
    message: `Missing required request parameters: [${names.join(', ')}]`,
  };
  return { error };
}

function isJsonContentType(ct: string | undefined, wanted: string): boolean {
  if (wanted === '$default') return true;
  const t = ((ct ?? 'application/json').split(';')[0] as string).trim().toLowerCase();
  return t === wanted.toLowerCase();
}

class ValidationPolicy implements Policy {
  readonly name = 'validation';
  readonly phase = 'validation' as const;
  /** [location, name] in AWS's order: sorted by "method.request.<location>.<name>". */
  readonly #required: [Location, string][];
  readonly #body: ValidateFunction | undefined;
  readonly #source: BodySource | undefined;
  readonly #contentType: string;
  readonly #maxBodyBytes: number;
  readonly #maxJsonDepth: number;

  constructor(
    required: [Location, string][],
    body: ValidateFunction | undefined,
    source: BodySource | undefined,
    contentType: string,
    limits: { maxBodyBytes: number; maxJsonDepth: number },
  ) {
    this.#required = required;
    this.#body = body;
    this.#source = source;
    this.#contentType = contentType;
    this.#maxBodyBytes = limits.maxBodyBytes;
    this.#maxJsonDepth = limits.maxJsonDepth;
  }

  access(ctx: RequestContext): Reply | undefined | Promise<Reply | undefined> {
    if (this.#required.length) {
      let missing: string[] | undefined;
      let query: URLSearchParams | undefined;
      for (const [loc, name] of this.#required) {
        let v: string | string[] | undefined | null;
        if (loc === 'path') v = ctx.params[name];
        else if (loc === 'header') v = ctx.req.headers[name.toLowerCase()];
        else v = (query ??= new URLSearchParams(ctx.rawQuery)).get(name);
        if (!v) (missing ??= []).push(name);
      }
      if (missing) return missingParametersReply(missing);
    }
    if (!this.#body || !isJsonContentType(ctx.req.headers['content-type'], this.#contentType)) return undefined;
    return this.#checkBody(ctx, this.#body);
  }

  async #checkBody(ctx: RequestContext, validate: ValidateFunction): Promise<Reply | undefined> {
    let body: Buffer;
    try {
      body = await bufferBody(ctx, this.#maxBodyBytes);
    } catch (err) {
      return err instanceof BodyTooLargeError ? TOO_LARGE : BAD_BODY;
    }
    if (body.length < OFF_THREAD_BYTES || !this.#source) return checkJsonBody(body, validate, this.#maxJsonDepth);
    // Large: the depth scan here (linear, no allocation), the parse and the validation on a worker thread.
    if (exceedsJsonDepth(body, this.#maxJsonDepth)) return BAD_BODY;
    try {
      return (await validateOffThread({ ...this.#source, body })) ? undefined : BAD_BODY;
    } catch (err) {
      if (err instanceof BodyQueueFullError) return BUSY;
      throw err;
    }
  }
}

/**
 * Scan, parse and validate one body: undefined when it passes, else AWS's 400 "Invalid request body".
 * Nesting past maxJsonDepth is refused before the parse (which would cost seconds of CPU on a 9 MB
 * `[[[…`); a validator that still throws (a stack overflow in a recursive schema) is a 400 too, never a 500.
 * Exported for bench/json-depth.ts.
 */
export function checkJsonBody(body: Buffer, validate: ValidateFunction, maxJsonDepth: number): Reply | undefined {
  if (exceedsJsonDepth(body, maxJsonDepth)) return BAD_BODY;
  let value: unknown;
  try {
    // An empty body is checked as {}, as API Gateway does.
    value = JSON.parse(body.length ? body.toString('utf8') : '{}');
  } catch {
    return BAD_BODY;
  }
  try {
    return validate(value) ? undefined : BAD_BODY;
  } catch (err) {
    if (err instanceof RangeError) return BAD_BODY;
    throw err;
  }
}

/** AWS sorts the parameter map by key, so the missing list comes header → path → querystring, names ascending. */
function requiredList(cfg: RequestValidationConfig): [Location, string][] {
  const list: [Location, string][] = [];
  for (const loc of ['header', 'path', 'querystring'] as const)
    for (const n of cfg.requiredParameters[loc]) list.push([loc, n]);
  const key = ([l, n]: [Location, string]) => `method.request.${l}.${n}`;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export const validationPolicyFactory: PolicyFactory = {
  name: 'validation',
  phase: 'validation',
  create(scope) {
    const cfg = (scope.route as { requestValidation?: RequestValidationConfig }).requestValidation;
    const api = scope.api as ValidationApi;
    const report = scope.stageName === Object.keys(api.stages)[0];
    const at = (...p: (string | number)[]) => scope.at('routes', scope.routeIndex, 'requestValidation', ...p);
    if (
      report &&
      api.requestValidator !== undefined &&
      !api.requestValidators?.[api.requestValidator] &&
      scope.routeIndex === 0
    ) {
      scope.issue(
        scope.at('requestValidator'),
        `unknown request validator "${api.requestValidator}"; defined: ${Object.keys(api.requestValidators ?? {}).join(', ') || 'none'}`,
      );
    }
    if (!cfg) return undefined;
    const validatorName = cfg.validator ?? api.requestValidator;
    const validator = validatorName === undefined ? undefined : api.requestValidators?.[validatorName];
    if (validatorName !== undefined && !validator) {
      if (report && cfg.validator !== undefined) {
        scope.issue(
          at('validator'),
          `unknown request validator "${cfg.validator}"; defined: ${Object.keys(api.requestValidators ?? {}).join(', ') || 'none'}`,
        );
      }
      return undefined;
    }
    const checkParams = cfg.validateParameters ?? validator?.validateRequestParameters ?? true;
    const checkBody = cfg.validateBody ?? validator?.validateRequestBody ?? true;
    // A required path parameter that is not in the route is always missing; AWS accepts that too (its recorded
    // "[x-header-param, issuer, qs1]" comes from one), so it is not a config error.
    if (cfg.bodyModel !== undefined && cfg.bodySchema !== undefined) {
      if (report) scope.issue(at('bodyModel'), 'give either bodyModel or bodySchema, not both');
      return undefined;
    }
    let body: ValidateFunction | undefined;
    let source: BodySource | undefined;
    if (cfg.bodyModel !== undefined || cfg.bodySchema !== undefined) {
      const models = modelSetFor(scope);
      if (cfg.bodyModel !== undefined) {
        if (!models.has(cfg.bodyModel)) {
          if (report)
            scope.issue(
              at('bodyModel'),
              `unknown model "${cfg.bodyModel}"; models: ${Object.keys(api.models ?? {}).join(', ') || 'none'}`,
            );
          return undefined;
        }
        body = models.model(cfg.bodyModel);
        if (!body) return undefined; // reported with the model
      } else {
        const v = models.compile(cfg.bodySchema as Record<string, unknown>);
        if (typeof v === 'string') {
          if (report) scope.issue(at('bodySchema'), `invalid JSON Schema (draft-04): ${v}`);
          return undefined;
        }
        body = v;
      }
      const of =
        cfg.bodyModel !== undefined ? { model: cfg.bodyModel } : { schema: cfg.bodySchema as Record<string, unknown> };
      const apiModels = api.models ?? {};
      let modelsDigest = modelDigests.get(api);
      if (modelsDigest === undefined) modelDigests.set(api, (modelsDigest = digest(apiModels)));
      source = { key: `${modelsDigest}:${digest(of)}`, models: apiModels, ...of };
    }
    const required = checkParams ? requiredList(cfg) : [];
    const bodyCheck = checkBody ? body : undefined;
    if (required.length === 0 && !bodyCheck) return undefined;
    return new ValidationPolicy(required, bodyCheck, source, cfg.bodyContentType, scope.config.server.limits);
  },
};
