import type { MockIntegrationConfig } from '../config/schema.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Integration } from './integration.js';

/** A fixed response, like an ALB fixed-response action or an AWS MOCK integration. */
export class MockIntegration implements Integration {
  readonly type = 'mock';
  readonly description: string;
  #status: number;
  #headers: Record<string, string>;
  #body: Buffer;

  constructor(config: MockIntegrationConfig) {
    this.#status = config.statusCode;
    this.#body = Buffer.from(config.body);
    this.#headers = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(config.headers)) this.#headers[k.toLowerCase()] = v;
    this.#headers['content-length'] = String(this.#body.length);
    this.description = `mock ${config.statusCode}`;
  }

  invoke(ctx: RequestContext): void {
    const headers = { ...this.#headers };
    const observer = ctx.responseObserver;
    if (observer?.onHead(this.#status, headers) === false) return;
    ctx.status = this.#status;
    ctx.res.writeHead(this.#status, ctx.finalizeHeaders(headers));
    if (observer) {
      observer.onData(this.#body);
      observer.onEnd();
    }
    ctx.res.end(ctx.method === 'HEAD' ? undefined : this.#body);
  }
}
