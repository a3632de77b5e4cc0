/**
 * The function integration (AWS_PROXY / Lambda): buffers the body, builds the proxy event (payload 1.0 or
 * 2.0), runs the handler in its worker-thread pool and turns the result into the response, validated as
 * AWS validates it. See docs/functions.md.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GATEWAY_ERRORS, type GatewayErrorDef } from '../kernel/gateway-errors.js';
import { BodyTooLargeError, bufferBody } from '../pipeline/body.js';
import type { RequestContext, RuntimeDeps, Integration } from '../pipeline/context.js';
import { BinaryMediaTypes, isBinaryBody } from './binary.js';
import { buildEventV1, buildEventV2 } from './event.js';
import { defaultThreads, FunctionTimeoutError, functionPools, type PoolSpec } from './pool.js';
import { type FunctionResponse, parseResponseV1, parseResponseV2 } from './response.js';
import { HANDLER_REF, type FunctionIntegrationConfig } from './schema.js';
import type { InvokeOutcome, InvokeTask } from './worker.js';

export interface FunctionTarget {
  file: string;
  exportName: string;
  moduleUrl: string;
}

/** Resolves `MODULE#EXPORT` against the config directory; a string is the problem. */
export function resolveHandler(handler: string, configDir: string): FunctionTarget | string {
  const m = HANDLER_REF.exec(handler);
  if (!m) return `expected MODULE#EXPORT, got "${handler}"`;
  const file = resolve(configDir, m[1] as string);
  if (!existsSync(file)) return `function module not found: ${file}`;
  const st = statSync(file);
  if (!st.isFile()) return `function module is not a file: ${file}`;
  // The mtime makes a reload after an edit import the module afresh in new invocations.
  return { file, exportName: m[2] as string, moduleUrl: `${pathToFileURL(file).href}?v=${Math.floor(st.mtimeMs)}` };
}

export interface FunctionIntegrationOptions {
  config: FunctionIntegrationConfig;
  target: FunctionTarget;
  apiType: 'rest' | 'http';
  binaryMediaTypes: readonly string[];
  maxBodyBytes: number;
  accountId: string;
  apiId: string;
  region: string;
  runtime: RuntimeDeps;
}

/** What one invocation produced, for the integration and for `portico invoke`. */
export type InvocationResult =
  | { kind: 'response'; response: FunctionResponse; outcome: InvokeOutcome }
  | { kind: 'error'; error: GatewayErrorDef; reason: string; outcome?: InvokeOutcome };

export class FunctionIntegration implements Integration {
  readonly type = 'function';
  readonly description: string;
  readonly poolSpec: PoolSpec;
  readonly version: '1.0' | '2.0';
  readonly #o: FunctionIntegrationOptions;
  readonly #binary: BinaryMediaTypes;
  readonly #functionName: string;
  readonly #failure: GatewayErrorDef;

  constructor(o: FunctionIntegrationOptions) {
    this.#o = o;
    this.version = o.config.payloadFormatVersion ?? (o.apiType === 'rest' ? '1.0' : '2.0');
    this.#binary = new BinaryMediaTypes(o.binaryMediaTypes);
    this.#functionName =
      o.config.functionName ??
      basename(o.target.file, extname(o.target.file))
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 64);
    this.poolSpec = {
      file: o.target.file,
      memoryMB: o.config.memoryMB,
      maxThreads: o.config.maxConcurrency ?? defaultThreads(),
    };
    this.description = `function ${o.config.handler} (payload ${this.version})`;
    this.#failure = o.apiType === 'rest' ? GATEWAY_ERRORS.FUNCTION_ERROR : GATEWAY_ERRORS.HTTP_FUNCTION_ERROR;
  }

  /** Builds the event for a request whose body has been read. */
  event(ctx: RequestContext, body: Buffer): Record<string, unknown> {
    const input = {
      body,
      base64: isBinaryBody(body, ctx.req.headers['content-type'], this.#binary, this.#o.apiType),
      accountId: this.#o.accountId,
      apiId: this.#o.apiId,
      timeEpoch: ctx.startTimeMs,
    };
    return this.version === '1.0' ? buildEventV1(ctx, input) : buildEventV2(ctx, input);
  }

  /** Runs the function with an event and validates its result. */
  async run(event: unknown, requestId: string, accept: string | undefined): Promise<InvocationResult> {
    const timeoutMs = this.#o.config.timeoutMs;
    const task: InvokeTask = {
      moduleUrl: this.#o.target.moduleUrl,
      exportName: this.#o.target.exportName,
      event,
      context: {
        awsRequestId: requestId,
        functionName: this.#functionName,
        memoryLimitInMB: this.#o.config.memoryMB,
        invokedFunctionArn: `arn:aws:lambda:${this.#o.region}:${this.#o.accountId}:function:${this.#functionName}`,
        deadlineMs: Date.now() + timeoutMs,
      },
    };
    let outcome: InvokeOutcome;
    try {
      outcome = await functionPools(this.#o.runtime).invoke(this.poolSpec, task, timeoutMs);
    } catch (err) {
      if (err instanceof FunctionTimeoutError)
        return { kind: 'error', error: GATEWAY_ERRORS.INTEGRATION_TIMEOUT, reason: err.message };
      return { kind: 'error', error: this.#failure, reason: `function crashed: ${(err as Error).message}` };
    }
    if (!outcome.ok) {
      return {
        kind: 'error',
        error: this.#failure,
        reason: `function ${outcome.load ? 'could not be loaded' : 'failed'}: ${outcome.errorType}: ${outcome.errorMessage}`,
        outcome,
      };
    }
    const parsed =
      this.version === '1.0'
        ? parseResponseV1(outcome.result, this.#binary, accept, this.#o.apiType)
        : parseResponseV2(outcome.result);
    if (typeof parsed === 'string')
      return { kind: 'error', error: this.#failure, reason: `malformed function response: ${parsed}`, outcome };
    return { kind: 'response', response: parsed, outcome };
  }

  invoke(ctx: RequestContext): void {
    this.#invoke(ctx).catch((err: unknown) => {
      ctx.snapshot.runtime.log.error({ err, requestId: ctx.requestId }, 'function integration failed');
      if (!ctx.res.headersSent) ctx.sendError(GATEWAY_ERRORS.INTERNAL_ERROR, ctx.api!.responses);
      else ctx.res.destroy();
    });
  }

  async #invoke(ctx: RequestContext): Promise<void> {
    const responses = ctx.api!.responses;
    let body: Buffer;
    try {
      body = await bufferBody(ctx, this.#o.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        ctx.sendError(GATEWAY_ERRORS.REQUEST_TOO_LARGE, responses, { connection: 'close' });
      else ctx.res.destroy();
      return;
    }
    if (ctx.res.destroyed) return;
    // Observability fields (access-log $context.integration*), typed loosely so this folder stands alone.
    const observed = ctx as unknown as {
      integrationStartMs?: number;
      integrationEndMs?: number;
      integrationStatus?: number;
    };
    observed.integrationStartMs = Date.now();
    const result = await this.run(this.event(ctx, body), ctx.requestId, ctx.req.headers.accept);
    observed.integrationEndMs = Date.now();
    if (ctx.res.destroyed) return;
    if (result.kind === 'error') {
      ctx.integrationError = new Error(result.reason);
      ctx.snapshot.runtime.log.warn(
        { requestId: ctx.requestId, route: ctx.routeKey, reason: result.reason },
        'function invocation failed',
      );
      ctx.sendError(result.error, responses);
      return;
    }
    const r = result.response;
    observed.integrationStatus = r.status;
    ctx.status = r.status;
    const headers = ctx.finalizeHeaders({ ...r.headers, 'content-length': String(r.body.length) });
    try {
      ctx.res.writeHead(r.status, headers);
    } catch (err) {
      // A header name or value Node refuses (CR/LF, non-token name): a malformed response.
      ctx.res.removeHeader('content-length');
      ctx.integrationError = new Error(`malformed function response: ${(err as Error).message}`);
      ctx.sendError(this.#failure, responses);
      return;
    }
    ctx.endWith(r.body);
  }
}
