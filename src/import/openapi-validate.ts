import SwaggerParser from '@apidevtools/swagger-parser';
import { isObj } from './json.js';
import { pointer } from './report.js';

/**
 * Structural validation of an OpenAPI/Swagger document before it is imported, with
 * @apidevtools/swagger-parser: its $refs are resolved (local ones, and files relative to the
 * document; never URLs) and it is checked against the Swagger 2.0 / OpenAPI 3.x JSON Schema.
 *
 * - errors: what makes the document unreadable as an API: a $ref that resolves to nothing, a file it
 *   names that cannot be read, or a value of the wrong type (`paths: 5`, an operation that is not a
 *   mapping). Each names its JSON pointer. The import is refused.
 * - warnings: the other schema violations (a missing `info.version` or `responses`, a `host` with a
 *   path). AWS's own import accepts them, and documents AWS exports have them (the corpus has five),
 *   so they are reported and the import goes on.
 */
export interface OpenApiCheck {
  errors: string[];
  warnings: string[];
}

/** One schema violation as Ajv reports it (swagger-parser's `details`). */
interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** One $ref that did not resolve (json-schema-ref-parser's errors). */
interface RefIssue {
  name?: string;
  message: string;
  path?: (string | number)[] | null;
  source?: string;
}

const VERSION = /^(2\.0|3\.[01](\.\d+)?)$/;

/** `file` is the document's path: relative $refs resolve from it, and errors name it. */
export async function checkOpenApi(doc: unknown, file: string): Promise<OpenApiCheck> {
  const out: OpenApiCheck = { errors: [], warnings: [] };
  // What is not an OpenAPI document at all is the importer's to say (importOpenApi's own message).
  if (!isObj(doc)) return out;
  const version = typeof doc.swagger === 'string' ? doc.swagger : doc.openapi;
  if (typeof version !== 'string' || !VERSION.test(version)) return out;
  try {
    // validate() dereferences the object it is given: it gets a copy.
    await SwaggerParser.validate(file, structuredClone(doc) as never, {
      continueOnError: true,
      resolve: { http: false },
      validate: { spec: false },
    });
  } catch (err) {
    const e = err as Error & { errors?: RefIssue[]; details?: AjvIssue[] };
    if (Array.isArray(e.errors)) for (const r of e.errors) out.errors.push(refMessage(r, file));
    else if (Array.isArray(e.details)) classify(e.details, out);
    // swagger-parser knows fewer versions than the importer (e.g. "3.0" or a newer 3.0.x): no check then.
    else if (/^Unsupported OpenAPI version/.test(e.message))
      out.warnings.push(`${e.message.split('.')[0]}: not checked`);
    else out.errors.push(`(document): ${e.message.split('\n')[0]}`);
  }
  return out;
}

function refMessage(r: RefIssue, file: string): string {
  const at = Array.isArray(r.path) && r.path.length ? pointer(...r.path) : '(document)';
  const where = r.source && r.source !== file ? ` (in ${r.source})` : '';
  return `${at}${where}: ${r.message.replace(/^Missing \$ref pointer/, '$ref does not resolve:')}`;
}

/**
 * A wrong type where no alternative applies is an error; the rest are warnings. Ajv reports each branch of
 * a oneOf/anyOf that failed, so a type mismatch at a place that also has a oneOf/anyOf failure is only one
 * of the alternatives not matching.
 */
function classify(details: readonly AjvIssue[], out: OpenApiCheck): void {
  const alternatives = new Set(
    details.filter((d) => d.keyword === 'oneOf' || d.keyword === 'anyOf').map((d) => d.instancePath),
  );
  const seen = new Set<string>();
  for (const d of details) {
    const text = `${d.instancePath || '(document)'}: ${d.message ?? d.keyword}${d.keyword === 'additionalProperties' && d.params ? ` (${String(d.params.additionalProperty)})` : ''}`;
    if (seen.has(text)) continue;
    seen.add(text);
    if (d.keyword === 'type' && !alternatives.has(d.instancePath)) out.errors.push(text);
    else out.warnings.push(text);
  }
}

/** The errors as one message, for an Error thrown by `portico import` or a config issue. */
export function formatOpenApiErrors(errors: readonly string[]): string {
  return `not a valid OpenAPI/Swagger document: ${errors.join('; ')}`;
}
