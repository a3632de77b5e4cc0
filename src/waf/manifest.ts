import type { Feature } from '../feature.js';
import { wafHookFactory } from './index.js';

/** The web application firewall: web ACLs before routing (docs/waf.md). */
export const manifest: Feature = {
  name: 'waf',
  // First hook to answer: the WAF sees CORS preflights too, as on AWS.
  hooks: [wafHookFactory],
};
