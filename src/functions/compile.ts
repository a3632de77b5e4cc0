import type { ApiConfig } from '../config/schema.js';
import type { IntegrationFactory } from '../pipeline/policy.js';
import { FunctionIntegration, resolveHandler } from './index.js';
import type { FunctionIntegrationConfig } from './schema.js';

/** The API's execute-api ARN settings (`arn`; region and account default in the schema, the API id to its name). */
export function arnOf(api: ApiConfig): { region: string; accountId: string; apiId: string } {
  return { region: api.arn.region, accountId: api.arn.accountId, apiId: api.arn.apiId ?? api.name };
}

/** The `function` integration type (its manifest's `integrations`): one FunctionIntegration per stage; problems reported once (stage 0). */
export const functionIntegrationFactory: IntegrationFactory = {
  create(integration, scope) {
    const config = integration as FunctionIntegrationConfig;
    const target = resolveHandler(config.handler, scope.loaded.dir);
    if (typeof target === 'string') {
      if (scope.stageIndex === 0) scope.issue([...scope.path, 'handler'], target);
      return undefined;
    }
    const { api } = scope;
    return new FunctionIntegration({
      config,
      target,
      apiType: api.type,
      binaryMediaTypes: api.binaryMediaTypes,
      maxBodyBytes: scope.maxBodyBytes,
      ...arnOf(api),
      runtime: scope.runtime,
    });
  },
};
