import type { RequestContext } from './context.js';
import type { ArnConfig } from '../config/schema.js';

/** The execute-api ARN prefix of an API: arn:aws:execute-api:{region}:{accountId}:{apiId}. */
export function apiArnPrefix(arn: ArnConfig, apiName: string): string {
  return `arn:aws:execute-api:${arn.region}:${arn.accountId}:${arn.apiId ?? apiName}`;
}

/**
 * The method ARN of a request, as AWS gives it to authorizers: {prefix}/{stage}/{VERB}/{resource path}, with the
 * path as requested (after base path and stage), without its leading slash.
 */
export function methodArn(prefix: string, ctx: RequestContext): string {
  return `${prefix}/${ctx.stageName}/${ctx.method}/${ctx.restPath.slice(1)}`;
}

/** An IAM Resource pattern (`*` = any run of characters, `?` = one) as a regular expression. */
export function arnPattern(resource: string): RegExp {
  let re = '^';
  for (const ch of resource) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's');
}
