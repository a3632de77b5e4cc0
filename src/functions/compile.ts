import type { LoadedConfig } from '../config/load.js';
import type { ConfigIssue } from '../config/errors.js';
import type { ApiConfig } from '../config/schema.js';
import type { RuntimeDeps } from '../pipeline/policy.js';
import { FunctionIntegration, resolveHandler } from './index.js';
import type { FunctionIntegrationConfig } from './schema.js';

/** The API's execute-api ARN settings (access-control `arn`), with AWS-looking defaults. */
export function arnOf(api: ApiConfig): { region: string; accountId: string; apiId: string } {
  const arn = (api as { arn?: { region?: string; accountId?: string; apiId?: string } }).arn;
  return { region: arn?.region ?? 'us-east-1', accountId: arn?.accountId ?? '123456789012', apiId: arn?.apiId ?? api.name };
}

/** Compiles a function integration for one stage; problems are reported once (stage 0). */
export function compileFunctionIntegration(
  config: FunctionIntegrationConfig,
  api: ApiConfig,
  stageIndex: number,
  path: (string | number)[],
  env: { loaded: LoadedConfig; issues: ConfigIssue[]; runtime: RuntimeDeps; maxBodyBytes: number },
): FunctionIntegration | undefined {
  const target = resolveHandler(config.handler, env.loaded.dir);
  if (typeof target === 'string') {
    if (stageIndex === 0) env.issues.push(env.loaded.issue([...path, 'handler'], target));
    return undefined;
  }
  return new FunctionIntegration({
    config,
    target,
    apiType: api.type,
    binaryMediaTypes: api.binaryMediaTypes,
    maxBodyBytes: env.maxBodyBytes,
    ...arnOf(api),
    runtime: env.runtime,
  });
}
