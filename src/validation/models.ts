/**
 * JSON Schema draft-04 (what API Gateway models use) compiled with ajv's draft-04 class, one instance per
 * API and config load. Models reference each other by name; the forms AWS, Swagger and OpenAPI documents
 * use are all rewritten to one URI per model, so recursive and mutual $refs resolve.
 */
import type { ValidateFunction } from 'ajv';
import AjvModule from 'ajv-draft-04';

// ajv-draft-04 is CommonJS: under NodeNext its class is the module's `default` property.
const Ajv = AjvModule.default;
type AjvDraft04 = InstanceType<typeof Ajv>;

const BASE = 'https://portico.invalid/models/';
const MODEL_REF =
  /^(?:#\/models\/|#\/definitions\/|#\/components\/schemas\/|https?:\/\/apigateway\.amazonaws\.com\/restapis\/[^/]+\/models\/)([A-Za-z0-9_.-]+)$/;

export class ModelSet {
  readonly #ajv: AjvDraft04;
  readonly #models: Map<string, object>;
  /** Problems per model name, found when the API's models were added. */
  readonly errors = new Map<string, string>();
  readonly #byModel = new Map<string, ValidateFunction>();

  constructor(models: Readonly<Record<string, Record<string, unknown>>>) {
    this.#ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });
    this.#models = new Map(
      Object.entries(models).map(([n, s]) => [n, rewriteRefs(s, new Set(Object.keys(models)), s) as object]),
    );
    for (const [name, schema] of this.#models) {
      try {
        this.#ajv.addSchema(withoutId(schema), BASE + name);
      } catch (err) {
        this.errors.set(name, (err as Error).message);
      }
    }
    // Compile each model now, so a bad schema or a $ref to nothing is a config error, not a request-time one.
    for (const name of this.#models.keys()) {
      if (this.errors.has(name)) continue;
      try {
        const v = this.#ajv.getSchema(BASE + name);
        if (v) this.#byModel.set(name, v);
      } catch (err) {
        this.errors.set(name, (err as Error).message);
      }
    }
  }

  has(name: string): boolean {
    return this.#models.has(name);
  }

  model(name: string): ValidateFunction | undefined {
    return this.#byModel.get(name);
  }

  /** Compiles an inline schema (it may $ref the models); a string is the problem. */
  compile(schema: Record<string, unknown>): ValidateFunction | string {
    try {
      return this.#ajv.compile(withoutId(rewriteRefs(schema, new Set(this.#models.keys()), schema) as object));
    } catch (err) {
      return (err as Error).message;
    }
  }
}

/** Drops "$schema" (ajv-draft-04 knows draft-04 only, and AWS models name it) and an "id" that would rebase refs. */
function withoutId(schema: object): object {
  const { $schema: _s, id: _id, ...rest } = schema as Record<string, unknown>;
  return rest;
}

/** Rewrites model references to their URI; a "#/definitions/X" the schema itself defines stays local. */
function rewriteRefs(node: unknown, models: ReadonlySet<string>, root: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, models, root));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') {
      const m = MODEL_REF.exec(v);
      const local =
        v.startsWith('#/definitions/') &&
        (root.definitions as Record<string, unknown> | undefined)?.[m?.[1] ?? ''] !== undefined;
      out[k] = m && !local && models.has(m[1] as string) ? BASE + (m[1] as string) : v;
    } else {
      out[k] = rewriteRefs(v, models, root);
    }
  }
  return out;
}
