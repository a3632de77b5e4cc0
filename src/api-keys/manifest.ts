import type { Feature } from '../feature.js';
import { API_KEYS_CONFIG } from './schema.js';
import { apiKeyPolicyFactory } from './policy.js';
import { quotaPolicyFactory } from './quota.js';
import { usagePlansCheck } from './usage-plans/checks.js';
import { KEY_ROUTES } from './admin-routes.js';
import { keysCommand, usageCommand } from './cli.js';
import { API_KEYS_SERVICE } from './service.js';

/** API keys, usage plans and quotas (docs/access-control.md). */
export const manifest: Feature = {
  name: 'api-keys',
  config: API_KEYS_CONFIG,
  policies: [apiKeyPolicyFactory, quotaPolicyFactory],
  hooks: [usagePlansCheck],
  services: [API_KEYS_SERVICE],
  adminRoutes: KEY_ROUTES,
  commands: { keys: keysCommand, usage: usageCommand },
};
