import { isObj, type Json } from './json.js';
import type { Resource } from './keys-plans.js';
import { pointer } from './report.js';

/**
 * SAM AWS::Serverless::Api Auth.UsagePlan (with Globals.Api.Auth.UsagePlan) → the UsagePlan, ApiKey
 * and UsagePlanKey resources the SAM translator generates, under its logical ids:
 * PER_API → <Api>UsagePlan / <Api>ApiKey / <Api>UsagePlanKey; SHARED → ServerlessUsagePlan /
 * ServerlessApiKey / ServerlessUsagePlanKey across the APIs that share it; NONE → nothing. The API
 * itself (and its stage) is imported by the SAM API support; a plan of an API not imported is reported.
 */
export function samUsagePlanResources(
  template: Json,
  evaluate: (v: unknown) => unknown,
): { resources: Record<string, Resource>; origins: Record<string, string> } {
  const out: Record<string, Resource> = {};
  const origins: Record<string, string> = {};
  const globals =
    isObj(template.Globals) && isObj(template.Globals.Api) && isObj(template.Globals.Api.Auth)
      ? template.Globals.Api.Auth
      : {};
  const globalPlan = isObj(globals.UsagePlan) ? (evaluate(globals.UsagePlan) as Json) : undefined;
  const shared: Json[] = [];
  for (const [id, raw] of Object.entries(template.Resources as Json)) {
    if (!isObj(raw) || raw.Type !== 'AWS::Serverless::Api' || !isObj(raw.Properties)) continue;
    const p = raw.Properties;
    const own = isObj(p.Auth) && isObj(p.Auth.UsagePlan) ? (evaluate(p.Auth.UsagePlan) as Json) : undefined;
    const plan = { ...(globalPlan ?? {}), ...(own ?? {}) };
    const mode = String(plan.CreateUsagePlan ?? 'NONE').toUpperCase();
    const stage = { ApiId: id, Stage: evaluate(p.StageName) };
    if (mode === 'SHARED') shared.push(stage);
    if (mode !== 'PER_API') continue;
    out[`${id}UsagePlan`] = {
      Type: 'AWS::ApiGateway::UsagePlan',
      Properties: {
        ApiStages: [stage],
        UsagePlanName: plan.UsagePlanName,
        Description: plan.Description,
        Throttle: plan.Throttle,
        Quota: plan.Quota,
      },
    };
    out[`${id}ApiKey`] = { Type: 'AWS::ApiGateway::ApiKey', Properties: { Enabled: true } };
    out[`${id}UsagePlanKey`] = {
      Type: 'AWS::ApiGateway::UsagePlanKey',
      Properties: { KeyId: `${id}ApiKey`, KeyType: 'API_KEY', UsagePlanId: `${id}UsagePlan` },
    };
    const at = own
      ? pointer('Resources', id, 'Properties', 'Auth', 'UsagePlan')
      : pointer('Globals', 'Api', 'Auth', 'UsagePlan');
    for (const suffix of ['UsagePlan', 'ApiKey', 'UsagePlanKey']) origins[`${id}${suffix}`] = at;
  }
  if (shared.length) {
    const g = globalPlan ?? {};
    out.ServerlessUsagePlan = {
      Type: 'AWS::ApiGateway::UsagePlan',
      Properties: {
        ApiStages: shared,
        UsagePlanName: g.UsagePlanName,
        Description: g.Description,
        Throttle: g.Throttle,
        Quota: g.Quota,
      },
    };
    out.ServerlessApiKey = { Type: 'AWS::ApiGateway::ApiKey', Properties: { Enabled: true } };
    out.ServerlessUsagePlanKey = {
      Type: 'AWS::ApiGateway::UsagePlanKey',
      Properties: { KeyId: 'ServerlessApiKey', KeyType: 'API_KEY', UsagePlanId: 'ServerlessUsagePlan' },
    };
    for (const id of ['ServerlessUsagePlan', 'ServerlessApiKey', 'ServerlessUsagePlanKey'])
      origins[id] = pointer('Globals', 'Api', 'Auth', 'UsagePlan');
  }
  return { resources: out, origins };
}
