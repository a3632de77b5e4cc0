import { isObj, type Json } from './json.js';
import { ImportReport, pointer } from './report.js';

/**
 * API Gateway request validation → our `models`, `requestValidators`, `requestValidator` and route
 * `requestValidation` (docs/aws-compatibility.md "Request validation"). AWS validates nothing without a
 * validator, so a route gets `requestValidation` only when a validator applies to it and it declares
 * required parameters or a body model.
 */

type Required = { header: string[]; querystring: string[]; path: string[] };

const MODEL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const LOCATIONS: Record<string, keyof Required> = {
  header: 'header',
  query: 'querystring',
  querystring: 'querystring',
  path: 'path',
};

/** `{name: {validateRequestBody, validateRequestParameters}}` with booleans only. */
export function mapValidator(v: unknown): Json {
  const src = isObj(v) ? v : {};
  const out: Json = {};
  for (const key of ['validateRequestBody', 'validateRequestParameters']) {
    if (src[key] === true || src[key] === 'true') out[key] = true;
  }
  return out;
}

/** The `requestValidation` of one route from its pieces, or undefined when there is nothing to check. */
export function requestValidation(
  validator: string | undefined,
  required: Required,
  body: Json | undefined,
): Json | undefined {
  const req: Json = {};
  for (const [k, v] of Object.entries(required)) if (v.length) req[k] = [...new Set(v)];
  if (!Object.keys(req).length && !body) return undefined;
  const out: Json = {};
  if (validator !== undefined) out.validator = validator;
  if (Object.keys(req).length) out.requiredParameters = req;
  if (body) Object.assign(out, body);
  return out;
}

/** `method.request.querystring.x: true` (CloudFormation RequestParameters) → required parameters. */
export function requiredFromRequestParameters(rp: unknown): Required {
  const out: Required = { header: [], querystring: [], path: [] };
  for (const [k, v] of Object.entries(isObj(rp) ? rp : {})) {
    const m = /^method\.request\.(header|querystring|path)\.(.+)$/.exec(k);
    if (m && (v === true || v === 'true')) out[m[1] as keyof Required].push(m[2] as string);
  }
  return out;
}

/** OpenAPI request validation: validators at the root, parameters and body schemas per operation. */
export class OpenApiValidation {
  readonly #validators: Json = {};
  readonly #root: string | undefined;
  readonly #schemas: Json;
  readonly #schemaBase: string;
  readonly #models: Json = {};
  /** Our own export: the route's requestValidation travels verbatim, and every schema is a model. */
  readonly #own: boolean;

  constructor(
    private readonly doc: Json,
    private readonly report: ImportReport,
    own: boolean,
  ) {
    this.#own = own;
    const v = doc['x-amazon-apigateway-request-validators'];
    if (isObj(v)) for (const [name, cfg] of Object.entries(v)) this.#validators[name] = mapValidator(cfg);
    const root = doc['x-amazon-apigateway-request-validator'];
    if (typeof root === 'string') {
      if (root in this.#validators) this.#root = root;
      else
        report.unsupported(
          pointer('x-amazon-apigateway-request-validator'),
          'request validator',
          `"${root}" is not in x-amazon-apigateway-request-validators; ignored`,
        );
    }
    const v2 = isObj(doc.definitions);
    this.#schemas = v2
      ? (doc.definitions as Json)
      : isObj(doc.components) && isObj(doc.components.schemas)
        ? doc.components.schemas
        : {};
    this.#schemaBase = v2 ? '#/definitions/' : '#/components/schemas/';
    if (own) for (const name of Object.keys(this.#schemas)) this.#addModel(name);
  }

  apiFields(): Json {
    const out: Json = {};
    if (Object.keys(this.#models).length) out.models = this.#models;
    if (Object.keys(this.#validators).length) out.requestValidators = this.#validators;
    if (this.#root !== undefined) out.requestValidator = this.#root;
    return out;
  }

  /** `{requestValidation}` for one operation, or `{}`. */
  route(item: Json, op: Json, at: string): Json {
    if (this.#own)
      return isObj(op['x-portico-request-validation']) ? { requestValidation: op['x-portico-request-validation'] } : {};
    const opValidator = op['x-amazon-apigateway-request-validator'];
    let validator: string | undefined;
    if (typeof opValidator === 'string') {
      if (!(opValidator in this.#validators)) {
        this.report.unsupported(
          `${at}/x-amazon-apigateway-request-validator`,
          'request validator',
          `"${opValidator}" is not in x-amazon-apigateway-request-validators; not validated`,
        );
        return {};
      }
      validator = opValidator;
    }
    if ((validator ?? this.#root) === undefined) return {};
    const required: Required = { header: [], querystring: [], path: [] };
    let bodySchema: unknown;
    const params = new Map<string, Json>();
    for (const p of [
      ...(Array.isArray(item.parameters) ? item.parameters : []),
      ...(Array.isArray(op.parameters) ? op.parameters : []),
    ]) {
      const param = this.#deref(p);
      if (isObj(param)) params.set(`${String(param.in)}:${String(param.name)}`, param);
    }
    for (const p of params.values()) {
      if (p.in === 'body') bodySchema = p.schema;
      else if (p.required === true && typeof p.name === 'string' && LOCATIONS[String(p.in)])
        required[LOCATIONS[String(p.in)] as keyof Required].push(p.name);
    }
    const rb = this.#deref(op.requestBody);
    if (isObj(rb) && isObj(rb.content)) {
      const types = Object.keys(rb.content);
      const ct = types.find((t) => t.toLowerCase() === 'application/json') ?? types.find((t) => /json/i.test(t));
      if (ct) bodySchema = (rb.content[ct] as Json | undefined)?.schema;
      const others = types.filter((t) => t !== ct);
      if (others.length)
        this.report.approximated(
          `${at}/requestBody/content`,
          'request models',
          `only the JSON model is checked; ${others.join(', ')} bodies are not validated`,
        );
    }
    return { ...this.#when(requestValidation(validator, required, this.#body(bodySchema, at))) };
  }

  #when(v: Json | undefined): Json {
    return v ? { requestValidation: v } : {};
  }

  #body(schema: unknown, at: string): Json | undefined {
    if (!isObj(schema)) return undefined;
    const ref = typeof schema.$ref === 'string' ? schema.$ref : undefined;
    if (ref?.startsWith(this.#schemaBase) && Object.keys(schema).length === 1) {
      const name = ref.slice(this.#schemaBase.length);
      if (this.#addModel(name, at)) return { bodyModel: name };
      return undefined;
    }
    this.#refsOf(schema, at);
    return { bodySchema: schema };
  }

  /** Copies a schema (and the schemas it refers to) into models; false if it can't be. */
  #addModel(name: string, at?: string): boolean {
    if (name in this.#models) return true;
    const schema = this.#schemas[name];
    if (!isObj(schema) || !MODEL_NAME.test(name)) {
      if (at)
        this.report.unsupported(
          at,
          'request model',
          `"${name}" is not a usable model (missing, or not named [A-Za-z0-9_.-]); the body is not validated`,
        );
      return false;
    }
    this.#models[name] = schema;
    this.#refsOf(schema, at);
    return true;
  }

  #refsOf(value: unknown, at: string | undefined): void {
    if (Array.isArray(value)) for (const v of value) this.#refsOf(v, at);
    else if (isObj(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith(this.#schemaBase))
          this.#addModel(v.slice(this.#schemaBase.length), at);
        else this.#refsOf(v, at);
      }
    }
  }

  /** A `$ref` to `#/parameters/…`, `#/components/parameters/…` or `#/components/requestBodies/…`, resolved. */
  #deref(v: unknown): unknown {
    if (!isObj(v) || typeof v.$ref !== 'string' || !v.$ref.startsWith('#/')) return v;
    let cur: unknown = this.doc;
    for (const part of v.$ref.slice(2).split('/'))
      cur = isObj(cur) ? cur[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
    return cur;
  }
}

/** Our validation settings → the OpenAPI document (for `portico export openapi`); `x-portico-request-validation` keeps ours exactly. */
export function exportValidation(api: Json, doc: Json, routeOps: [Json, Json][]): void {
  const models = isObj(api.models) ? api.models : {};
  if (Object.keys(models).length) {
    const components = (doc.components ??= {}) as Json;
    components.schemas = { ...models };
  }
  if (isObj(api.requestValidators) && Object.keys(api.requestValidators).length)
    doc['x-amazon-apigateway-request-validators'] = api.requestValidators;
  if (typeof api.requestValidator === 'string') doc['x-amazon-apigateway-request-validator'] = api.requestValidator;
  for (const [route, op] of routeOps) {
    const v = route.requestValidation;
    if (!isObj(v)) continue;
    op['x-portico-request-validation'] = v;
    if (typeof v.validator === 'string') op['x-amazon-apigateway-request-validator'] = v.validator;
    const req = isObj(v.requiredParameters) ? v.requiredParameters : {};
    const params = (Array.isArray(op.parameters) ? op.parameters : []) as Json[];
    for (const [loc, inName] of [
      ['header', 'header'],
      ['querystring', 'query'],
    ] as const) {
      for (const name of Array.isArray(req[loc]) ? (req[loc] as string[]) : [])
        params.push({ name, in: inName, required: true, schema: { type: 'string' } });
    }
    if (params.length) op.parameters = params;
    const schema =
      typeof v.bodyModel === 'string'
        ? { $ref: `#/components/schemas/${v.bodyModel}` }
        : isObj(v.bodySchema)
          ? v.bodySchema
          : undefined;
    if (schema)
      op.requestBody = {
        content: { [typeof v.bodyContentType === 'string' ? v.bodyContentType : 'application/json']: { schema } },
      };
  }
}
