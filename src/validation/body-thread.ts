// The worker side of request-body validation for large bodies (see OFF_THREAD_BYTES in index.ts), run by
// the shared piscina pool of body-threads.ts: parses one body and validates it against the API's model or
// the route's inline schema. Validators are compiled once per thread and cached by the schema's key.
import type { ValidateFunction } from 'ajv';
import { ModelSet } from './models.js';

export interface BodyTask {
  /** Identifies models + schema: equal keys compile to the same validator. */
  key: string;
  models: Record<string, Record<string, unknown>>;
  /** The model to validate against, or the inline schema. */
  model?: string;
  schema?: Record<string, unknown>;
  body: Uint8Array;
}

const validators = new Map<string, ValidateFunction | undefined>();

function validatorFor(task: BodyTask): ValidateFunction | undefined {
  if (validators.has(task.key)) return validators.get(task.key);
  const set = new ModelSet(task.models);
  const v = task.model !== undefined ? set.model(task.model) : set.compile(task.schema ?? {});
  const fn = typeof v === 'function' ? v : undefined;
  validators.set(task.key, fn);
  return fn;
}

/** True when the body is JSON that passes; false for anything else (AWS's 400 "Invalid request body"). */
export default function validateBody(task: BodyTask): boolean {
  const validate = validatorFor(task);
  if (!validate) return false;
  let value: unknown;
  try {
    value = JSON.parse(
      task.body.length
        ? Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength).toString('utf8')
        : '{}',
    );
  } catch {
    return false;
  }
  try {
    return validate(value) === true;
  } catch {
    return false; // a stack overflow in a recursive schema is a 400, as on the main thread
  }
}
