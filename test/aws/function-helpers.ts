import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Handler modules used by the function tests, written to a temp dir as .mjs files. */
export const HANDLERS: Record<string, string> = {
  'echo.mjs': `
export async function handler(event, context) {
  const ctx = { awsRequestId: context.awsRequestId, functionName: context.functionName, memoryLimitInMB: context.memoryLimitInMB,
    invokedFunctionArn: context.invokedFunctionArn, functionVersion: context.functionVersion,
    remaining: typeof context.getRemainingTimeInMillis() === 'number' && context.getRemainingTimeInMillis() > 0 };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event, context: ctx }) };
}
export function callback(event, context, cb) { setTimeout(() => cb(null, { statusCode: 201, body: 'cb' }), 1); }
export function sync(event) { return { statusCode: 202, body: 'sync' }; }
`,
  // Returns whatever the request body says, parsed as JSON (the LocalStack "response from body" function).
  'from-body.mjs': `
export async function handler(event) {
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body;
  if (text === null || text === undefined) return undefined;
  return JSON.parse(text);
}
`,
  'bad.mjs': `
export async function throws() { throw new TypeError('boom'); }
export function exits() { process.exit(1); }
export async function loops() { for (;;) {} }
export async function hog() { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())); }
export async function slow(event) { await new Promise((r) => setTimeout(r, Number(event.queryStringParameters?.ms ?? 50))); return { statusCode: 200, body: 'slow' }; }
export const notAFunction = 42;
`,
  'binary.mjs': `
export async function handler(event) {
  const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
  return { statusCode: 200, headers: { 'content-type': 'image/png' }, isBase64Encoded: true, body: bytes.toString('base64'),
    multiValueHeaders: { 'x-got': [String(event.isBase64Encoded), event.body ?? ''] } };
}
`,
};

export async function writeHandlers(): Promise<{
  dir: string;
  path: (file: string) => string;
  close: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-fn-'));
  for (const [name, src] of Object.entries(HANDLERS)) await writeFile(join(dir, name), src);
  return { dir, path: (f) => join(dir, f), close: () => rm(dir, { recursive: true, force: true }) };
}
