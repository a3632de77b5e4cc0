/**
 * Renders gateway responses (the catalogue is src/kernel/gateway-errors.ts), honouring an API's
 * customisations. See ../docs/gateway-responses.md.
 */
import type { GatewayResponseConfig } from './config/schema.js';
import { type CompiledTemplate, compileTemplate, type TemplateScope } from './template.js';
import { type ApiType, type GatewayErrorDef, type GatewayResponseType } from './kernel/gateway-errors.js';

export interface RenderedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface CompiledCustom {
  status?: number;
  headers: [string, CompiledTemplate][];
  body?: CompiledTemplate;
  contentType: string;
}

const DEFAULT_TEMPLATE = compileTemplate('{"message":$context.error.messageString}') as CompiledTemplate;
// Anything a header value should not carry (controls, tab included; beyond Latin-1, e.g. an emoji in a JWT claim,
// which made writeHead throw): dropped. test/reliability/headers.property.test.ts
const CONTROL = /[^\x20-\x7e\x80-\xff]/gu;

/** Per-API table: resolves a gateway error to its response, honouring customisations. */
export class GatewayResponses {
  readonly apiType: ApiType;
  #custom: Partial<Record<GatewayResponseType, CompiledCustom>>;

  private constructor(apiType: ApiType, custom: Partial<Record<GatewayResponseType, CompiledCustom>>) {
    this.apiType = apiType;
    this.#custom = custom;
  }

  /** Compiles the customisations; problems are returned with the config path suffix they belong to. */
  static compile(
    apiType: ApiType,
    config: Partial<Record<GatewayResponseType, GatewayResponseConfig>>,
  ): GatewayResponses | { errors: { path: (string | number)[]; message: string }[] } {
    const errors: { path: (string | number)[]; message: string }[] = [];
    const custom: Partial<Record<GatewayResponseType, CompiledCustom>> = {};
    for (const [type, c] of Object.entries(config) as [GatewayResponseType, GatewayResponseConfig][]) {
      const compiled: CompiledCustom = { headers: [], contentType: c.contentType };
      if (c.statusCode !== undefined) compiled.status = c.statusCode;
      if (c.body !== undefined) {
        const t = compileTemplate(c.body);
        if ('errors' in t) for (const e of t.errors) errors.push({ path: [type, 'body'], message: e });
        else compiled.body = t;
      }
      for (const [name, value] of Object.entries(c.headers)) {
        const t = compileTemplate(value);
        if ('errors' in t) for (const e of t.errors) errors.push({ path: [type, 'headers', name], message: e });
        else compiled.headers.push([name.toLowerCase(), t]);
      }
      custom[type] = compiled;
    }
    return errors.length ? { errors } : new GatewayResponses(apiType, custom);
  }

  static defaults(apiType: ApiType): GatewayResponses {
    return new GatewayResponses(apiType, {});
  }

  render(error: GatewayErrorDef, scope: TemplateScope): RenderedResponse {
    // AWS does not support customising 413 REQUEST_TOO_LARGE: it keeps its default (DG:api-gateway-known-issues).
    const custom =
      error.type === 'REQUEST_TOO_LARGE'
        ? undefined
        : (this.#custom[error.type] ?? this.#custom[error.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX']);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.apiType === 'rest') headers['x-amzn-errortype'] = error.errorType;
    if (!custom) {
      const literal = error.literalBody?.[this.apiType];
      return { status: error.status, headers, body: literal ?? DEFAULT_TEMPLATE.render(scope) };
    }
    headers['content-type'] = custom.contentType;
    for (const [name, t] of custom.headers) headers[name] = t.render(scope).replace(CONTROL, '');
    return { status: custom.status ?? error.status, headers, body: (custom.body ?? DEFAULT_TEMPLATE).render(scope) };
  }
}
