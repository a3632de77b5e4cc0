import type { Feature } from '../feature.js';
import { AUTHORIZERS_CONFIG } from './schema.js';
import { authorizerDefinitionsCheck, authorizerPolicyFactory } from './index.js';
import { authorizerServiceDef } from './service.js';

/** JWT, function and HTTP authorizers (docs/access-control.md). */
export const manifest: Feature = {
  name: 'authorizers',
  config: AUTHORIZERS_CONFIG,
  policies: [authorizerPolicyFactory],
  hooks: [authorizerDefinitionsCheck],
  services: [authorizerServiceDef],
};
