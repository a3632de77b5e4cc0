import type { MockIntegrationConfig } from '../config/schema.js';
import type { RequestContext, Integration } from '../pipeline/context.js';
import { type CompiledTemplate, compileTemplate } from '../template.js';

/**
 * A fixed response, like an ALB fixed-response action or an AWS MOCK integration. The body is a response
 * template: `$context.*`, `$stageVariables.*` and `$input.params(...)` are substituted per request (AWS's
 * VTL directives and `$util` are not); a body without them is sent as is.
 */
export class MockIntegration implements Integration {
  readonly type = 'mock';
  readonly description: string;
  #status: number;
  #headers: Record<string, string>;
  #body: Buffer;
  #template: CompiledTemplate | undefined;

  private constructor(config: MockIntegrationConfig, template: CompiledTemplate | undefined) {
    this.#status = config.statusCode;
    this.#body = Buffer.from(config.body);
    this.#template = template;
    this.#headers = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(config.headers)) this.#headers[k.toLowerCase()] = v;
    this.#headers['content-length'] = String(this.#body.length);
    this.description = `mock ${config.statusCode}`;
  }

  /** The integration, or the template's problems (unknown variables) for the config error. */
  static create(config: MockIntegrationConfig): MockIntegration | { errors: string[] } {
    if (!config.body.includes('$')) return new MockIntegration(config, undefined);
    const t = compileTemplate(config.body, { input: true });
    if ('errors' in t) return t;
    return new MockIntegration(config, t);
  }

  invoke(ctx: RequestContext): void {
    const headers = { ...this.#headers };
    let body = this.#body;
    if (this.#template) {
      body = Buffer.from(this.#template.render(ctx));
      headers['content-length'] = String(body.length);
    }
    const observer = ctx.responseObserver;
    if (observer?.onHead(this.#status, headers) === false) return;
    ctx.status = this.#status;
    ctx.res.writeHead(this.#status, ctx.finalizeHeaders(headers));
    if (observer) {
      observer.onData(body);
      observer.onEnd();
    }
    ctx.endWith(body);
  }
}
