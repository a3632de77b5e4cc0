import type { Feature } from '../feature.js';
import { WAF_CONFIG } from './schema.js';
import { wafHookFactory } from './index.js';

/** The web application firewall: web ACLs before routing (docs/waf.md). */
export const manifest: Feature = {
  name: 'waf',
  config: WAF_CONFIG,
  // First hook to answer: the WAF sees CORS preflights too, as on AWS.
  hooks: [wafHookFactory],
};
